//! Customers (`customers`).
//!
//! Reference: `shoprenter-protocol.md` §3 "Customer fields". The `password` field (a bcrypt
//! hash) is dropped on read so it never reaches our cache.

use serde_json::{Map, Value};

use super::lenient::{parse_flag, parse_i64};
use super::resource;

resource! {
    /// A shop customer.
    pub struct Customer {
        text {
            href = "href",
            id = "id",
            inner_id = "innerId",
            firstname = "firstname",
            lastname = "lastname",
            email = "email",
            telephone = "telephone",
            fax = "fax",
            newsletter = "newsletter",
            status = "status",
            approved = "approved",
            free_shipping = "freeShipping",
            date_created = "dateCreated",
            date_updated = "dateUpdated",
        }
        link {
            customer_group = "customerGroup",
            default_address = "defaultAddress",
            addresses = "addresses",
        }
        object {}
        list {}
        extra_filter = extra_without_password;
    }
}

/// Unknown fields minus `password`, which we have no use for and must not store.
fn extra_without_password(mut map: Map<String, Value>) -> Map<String, Value> {
    map.remove("password");
    map
}

impl Customer {
    /// `innerId` as a number.
    pub fn inner_id(&self) -> Option<i64> {
        parse_i64(self.inner_id.as_deref())
    }

    /// `firstname lastname`, skipping empty parts.
    pub fn full_name(&self) -> String {
        [&self.firstname, &self.lastname]
            .into_iter()
            .filter_map(|s| s.as_deref().map(str::trim).filter(|s| !s.is_empty()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Newsletter subscription flag.
    pub fn subscribed_to_newsletter(&self) -> Option<bool> {
        parse_flag(self.newsletter.as_deref())
    }
}
