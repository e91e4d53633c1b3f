//! Batched multi-row upserts into the cache tables, one statement per page: on SQLite
//! `INSERT … VALUES (…),(…) ON CONFLICT (…) DO UPDATE`, on PostgreSQL the same from
//! `SELECT … FROM UNNEST($1::uuid[], $2::text[], …)`, one array parameter per column.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::{Query, QueryAs};
use sqlx::sqlite::{Sqlite, SqliteArguments};
use uuid::Uuid;

use crate::storage::{documents, DbKind};

/// A bound value. Each variant binds with the same Rust type on both engines.
#[derive(Debug, Clone)]
pub enum Val {
    Uuid(Uuid),
    Text(Option<String>),
    F64(Option<f64>),
    I64(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    /// A JSON document as text, serialised straight from the typed record (no `Value` tree);
    /// only ever bound to a cache table's `raw_data` column.
    Json(String),
    /// A [`Val::Json`] packed ([`documents::pack`]).
    Packed(Vec<u8>),
}

impl Val {
    /// Packs a JSON document; every other value stays as it is.
    pub fn pack_document(&mut self) {
        if let Val::Json(text) = self {
            *self = Val::Packed(documents::pack(text));
        }
    }
}

/// Packs every JSON document of `rows` (see [`documents`]).
pub fn pack_documents(rows: &mut [Vec<Val>]) {
    for row in rows {
        row.iter_mut().for_each(Val::pack_document);
    }
}

impl Val {
    /// The PostgreSQL array type a column of these values is sent as.
    fn pg_array_type(&self) -> &'static str {
        match self {
            Val::Uuid(_) => "uuid[]",
            Val::Text(_) | Val::Json(_) => "text[]",
            Val::Packed(_) => "bytea[]",
            Val::F64(_) => "float8[]",
            Val::I64(_) => "int8[]",
            Val::Bool(_) => "bool[]",
            Val::Time(_) => "timestamptz[]",
        }
    }
}

/// A table's upsert shape: the columns written, the conflict key, and the columns left alone on
/// update (the row's own id, creation time).
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub conflict: &'static str,
    pub keep_on_update: &'static [&'static str],
}

impl Table {
    /// The statement for `rows`, optionally `RETURNING` some columns; bind `rows` with
    /// [`BindRows::bind_rows`].
    ///
    /// SQLite gets anonymous `?` placeholders, bound in order: with `$N` SQLite resolves every
    /// name through a linear list, both when preparing and when sqlx asks each parameter's name
    /// to bind it, which is quadratic in the bind count and cost ~40 % of a 200-row page's time
    /// (4 000 binds). PostgreSQL gets one array per column through `UNNEST`: with a `VALUES`
    /// list of 4 000 parameters it spent about a third of its time of a full sync planning each
    /// statement again (measured with perf).
    pub fn upsert_sql(&self, kind: DbKind, rows: &[Vec<Val>], returning: Option<&str>) -> String {
        let n = self.columns.len();
        let columns = self.columns.join(", ");
        let mut sql = format!("INSERT INTO {} ({columns}) ", self.name);
        match kind {
            DbKind::Sqlite => {
                sql.push_str("VALUES ");
                for r in 0..rows.len() {
                    if r > 0 {
                        sql.push(',');
                    }
                    sql.push('(');
                    for c in 0..n {
                        if c > 0 {
                            sql.push(',');
                        }
                        sql.push('?');
                    }
                    sql.push(')');
                }
            }
            DbKind::Postgres => {
                let first = rows.first();
                let select: Vec<String> = self
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match first.map(|row| &row[i]) {
                        // Text that was not packed is stored as its UTF-8 bytes, which
                        // `documents::unpack` reads as plain JSON.
                        Some(Val::Json(_)) => format!("convert_to(u.{c}, 'UTF8')"),
                        _ => format!("u.{c}"),
                    })
                    .collect();
                let arrays: Vec<String> = rows
                    .first()
                    .map(|row| {
                        row.iter()
                            .enumerate()
                            .map(|(i, v)| format!("${}::{}", i + 1, v.pg_array_type()))
                            .collect()
                    })
                    .unwrap_or_default();
                sql.push_str(&format!(
                    "SELECT {} FROM UNNEST({}) AS u({columns})",
                    select.join(", "),
                    arrays.join(", ")
                ));
            }
        }
        let updates: Vec<String> = self
            .columns
            .iter()
            .filter(|c| {
                !self.keep_on_update.contains(c) && !self.conflict.split(", ").any(|k| k == **c)
            })
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        sql.push_str(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            self.conflict,
            updates.join(", ")
        ));
        if let Some(cols) = returning {
            sql.push_str(" RETURNING ");
            sql.push_str(cols);
        }
        sql
    }

    /// Rows per statement so the bind count stays under SQLite's limit (32 766).
    pub fn max_rows(&self) -> usize {
        (30_000 / self.columns.len()).max(1)
    }
}

/// Binds the rows of an [`Table::upsert_sql`] statement: row by row on SQLite, as one array per
/// column on PostgreSQL.
pub trait BindRows<'q>: Sized {
    /// Fails only if a column mixes kinds of values (a bug in a row builder).
    fn bind_rows(self, rows: &'q [Vec<Val>]) -> Result<Self, sqlx::Error>;
}

macro_rules! bind_each_value {
    ($q:expr, $rows:expr) => {{
        let mut q = $q;
        for row in $rows {
            for v in row.iter() {
                q = match v {
                    Val::Uuid(x) => q.bind(*x),
                    Val::Text(x) => q.bind(x.as_deref()),
                    Val::F64(x) => q.bind(*x),
                    Val::I64(x) => q.bind(*x),
                    Val::Bool(x) => q.bind(*x),
                    Val::Time(x) => q.bind(*x),
                    Val::Json(x) => q.bind(x.as_str()),
                    Val::Packed(x) => q.bind(x.as_slice()),
                };
            }
        }
        Ok(q)
    }};
}

/// Collects column `c` of every row, each of which must be a `$variant`.
macro_rules! column {
    ($rows:expr, $c:expr, $variant:ident, |$x:ident| $get:expr) => {
        $rows
            .iter()
            .map(|row| match &row[$c] {
                Val::$variant($x) => Ok($get),
                other => Err(mixed_column($c, other)),
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
    };
}

macro_rules! bind_each_column {
    ($q:expr, $rows:expr) => {{
        let mut q = $q;
        let rows: &[Vec<Val>] = $rows;
        let width = rows.first().map_or(0, Vec::len);
        for c in 0..width {
            q = match &rows[0][c] {
                Val::Uuid(_) => q.bind(column!(rows, c, Uuid, |x| *x)),
                Val::Text(_) => q.bind(column!(rows, c, Text, |x| x.as_deref())),
                Val::F64(_) => q.bind(column!(rows, c, F64, |x| *x)),
                Val::I64(_) => q.bind(column!(rows, c, I64, |x| *x)),
                Val::Bool(_) => q.bind(column!(rows, c, Bool, |x| *x)),
                Val::Time(_) => q.bind(column!(rows, c, Time, |x| *x)),
                Val::Json(_) => q.bind(column!(rows, c, Json, |x| x.as_str())),
                Val::Packed(_) => q.bind(column!(rows, c, Packed, |x| x.as_slice())),
            };
        }
        Ok(q)
    }};
}

fn mixed_column(c: usize, found: &Val) -> sqlx::Error {
    sqlx::Error::Encode(format!("column {c} mixes kinds of values (found {found:?})").into())
}

impl<'q> BindRows<'q> for Query<'q, Sqlite, SqliteArguments<'q>> {
    fn bind_rows(self, rows: &'q [Vec<Val>]) -> Result<Self, sqlx::Error> {
        bind_each_value!(self, rows)
    }
}

impl<'q, O> BindRows<'q> for QueryAs<'q, Sqlite, O, SqliteArguments<'q>> {
    fn bind_rows(self, rows: &'q [Vec<Val>]) -> Result<Self, sqlx::Error> {
        bind_each_value!(self, rows)
    }
}

impl<'q> BindRows<'q> for Query<'q, Postgres, PgArguments> {
    fn bind_rows(self, rows: &'q [Vec<Val>]) -> Result<Self, sqlx::Error> {
        bind_each_column!(self, rows)
    }
}

impl<'q, O> BindRows<'q> for QueryAs<'q, Postgres, O, PgArguments> {
    fn bind_rows(self, rows: &'q [Vec<Val>]) -> Result<Self, sqlx::Error> {
        bind_each_column!(self, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Vec<Val>> {
        (0..n)
            .map(|i| {
                vec![
                    Val::Uuid(Uuid::nil()),
                    Val::Uuid(Uuid::nil()),
                    Val::Text(Some(i.to_string())),
                    Val::Text(None),
                ]
            })
            .collect()
    }

    const T: Table = Table {
        name: "t",
        columns: &["id", "store_id", "ext_id", "name"],
        conflict: "store_id, ext_id",
        keep_on_update: &["id"],
    };

    #[test]
    fn sqlite_gets_one_placeholder_per_value() {
        assert_eq!(
            T.upsert_sql(DbKind::Sqlite, &rows(2), None),
            "INSERT INTO t (id, store_id, ext_id, name) VALUES (?,?,?,?),(?,?,?,?) \
             ON CONFLICT (store_id, ext_id) DO UPDATE SET name = excluded.name"
        );
    }

    #[test]
    fn postgres_gets_one_typed_array_per_column_whatever_the_row_count() {
        let expected = "INSERT INTO t (id, store_id, ext_id, name) SELECT u.id, u.store_id, u.ext_id, u.name \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS u(id, store_id, ext_id, name) \
             ON CONFLICT (store_id, ext_id) DO UPDATE SET name = excluded.name RETURNING id";
        assert_eq!(
            T.upsert_sql(DbKind::Postgres, &rows(2), Some("id")),
            expected
        );
        assert_eq!(
            T.upsert_sql(DbKind::Postgres, &rows(200), Some("id")),
            expected
        );
    }

    #[test]
    fn postgres_takes_packed_documents_as_bytea_and_text_as_its_bytes() {
        let t = Table {
            name: "t",
            columns: &["id", "raw_data"],
            conflict: "id",
            keep_on_update: &[],
        };
        let mut row = vec![vec![Val::Uuid(Uuid::nil()), Val::Json("{}".into())]];
        assert!(t
            .upsert_sql(DbKind::Postgres, &row, None)
            .starts_with("INSERT INTO t (id, raw_data) SELECT u.id, convert_to(u.raw_data, 'UTF8') FROM UNNEST($1::uuid[], $2::text[]) "));
        assert!(t
            .upsert_sql(DbKind::Sqlite, &row, None)
            .starts_with("INSERT INTO t (id, raw_data) VALUES (?,?) "));
        pack_documents(&mut row);
        assert!(t
            .upsert_sql(DbKind::Postgres, &row, None)
            .starts_with("INSERT INTO t (id, raw_data) SELECT u.id, u.raw_data FROM UNNEST($1::uuid[], $2::bytea[]) "));
    }

    #[test]
    fn a_column_mixing_kinds_of_values_is_refused_not_bound() {
        let mut mixed = rows(2);
        mixed[1][3] = Val::I64(Some(1));
        let sql = T.upsert_sql(DbKind::Postgres, &mixed, None);
        let err = sqlx::query::<Postgres>(&sql).bind_rows(&mixed).err();
        assert!(matches!(err, Some(sqlx::Error::Encode(_))), "{err:?}");
        assert!(sqlx::query::<Postgres>(&sql).bind_rows(&rows(2)).is_ok());
    }
}
