//! Products, customers and orders from the cache: searchable (a GET form, so the URL keeps the
//! search and it works without JavaScript), paginated, and one order's detail.

use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::data::{get_order, list_customers, list_orders, list_products, OrderDetail, Page};
use crate::components::{
    Card, EmptyState, FriendlyError, Loading, Pagination, RequireAuth, BTN_PRIMARY, INPUT, LINK,
};
use crate::i18n::{format_datetime, format_money, format_quantity, use_i18n, Key};
use crate::pages::store::{use_store_id, StoreTabs};

/// `q` and `page` from the URL.
fn use_search() -> (Memo<Option<String>>, Memo<i64>) {
    let query = use_query_map();
    let q = Memo::new(move |_| query.with(|m| m.get("q")).filter(|q| !q.trim().is_empty()));
    let page = Memo::new(move |_| {
        query
            .with(|m| m.get("page"))
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
    });
    (q, page)
}

#[component]
fn SearchBox(q: Memo<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Form method="GET" action="" attr:role="search" attr:class="flex gap-2">
            <label for="search" class="sr-only">{i18n.t(Key::Search)}</label>
            <input id="search" type="search" name="q" class=INPUT
                placeholder=i18n.t(Key::SearchPlaceholder)
                prop:value=move || q.get().unwrap_or_default()/>
            <button type="submit" id="search-button" class=BTN_PRIMARY>{i18n.t(Key::SearchButton)}</button>
        </Form>
    }
}

/// Title, tabs, search and the table around a page of rows.
#[component]
fn DataFrame(title: Key, q: Memo<Option<String>>, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let id = use_store_id();
    view! {
        <div class="space-y-6">
            <StoreTabs id=id.get_untracked() shopname=None/>
            <div class="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
                <div>
                    <h1 class="text-2xl font-bold tracking-tight text-slate-900">{i18n.t(title)}</h1>
                    <p class="mt-1 text-sm text-slate-600">{i18n.t(Key::DataLead)}</p>
                </div>
                <div class="w-full sm:w-96"><SearchBox q/></div>
            </div>
            <Card class="!p-0 overflow-hidden">{children()}</Card>
        </div>
    }
}

fn th(i18n: crate::i18n::I18n, key: Key, right: bool) -> impl IntoView {
    let class = if right {
        "px-4 py-3 text-right font-medium"
    } else {
        "px-4 py-3 text-left font-medium"
    };
    view! { <th scope="col" class=class>{i18n.t(key)}</th> }
}

fn pager<T>(page: &Page<T>, base: String, q: Option<String>) -> impl IntoView {
    let (p, pages, total) = (page.page, page.pages(), page.total);
    view! { <div class="border-t border-slate-100 px-4 pb-4"><Pagination base q page=p pages total/></div> }
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    view! { <RequireAuth><Products/></RequireAuth> }
}

#[component]
fn Products() -> impl IntoView {
    let i18n = use_i18n();
    let id = use_store_id();
    let (q, page) = use_search();
    let data = Resource::new(
        move || (id.get(), q.get(), page.get()),
        |(id, q, page)| list_products(id, q, Some(page)),
    );
    view! {
        <DataFrame title=Key::ProductsTitle q>
            <Transition fallback=|| view! { <div class="p-6"><Loading lines=8/></div> }>
                {move || { let lang = i18n.get(); Suspend::new(async move {
                    match data.await {
                        Ok(p) if p.items.is_empty() => view! { <div class="p-6"><EmptyState title=Key::NoResults text=Key::NoResultsText/></div> }.into_any(),
                        Ok(p) => {
                            view! {
                                <div class="overflow-x-auto">
                                    <table id="products-table" class="w-full text-sm">
                                        <thead class="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                                            <tr>{th(i18n, Key::ColName, false)}{th(i18n, Key::ColSku, false)}{th(i18n, Key::ColPrice, true)}{th(i18n, Key::ColStock, true)}{th(i18n, Key::ColActive, false)}</tr>
                                        </thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {p.items.iter().map(|r| view! {
                                                <tr class="hover:bg-slate-50">
                                                    <td class="px-4 py-3 font-medium text-slate-900">{r.name.clone()}</td>
                                                    <td class="px-4 py-3 font-mono text-xs text-slate-600">{r.sku.clone().unwrap_or_default()}</td>
                                                    <td class="whitespace-nowrap px-4 py-3 text-right tabular-nums">{r.price.map(|v| format_money(lang, v, &r.currency)).unwrap_or_default()}</td>
                                                    <td class="px-4 py-3 text-right tabular-nums">{r.stock.map(|s| crate::i18n::format_int(lang, s)).unwrap_or_default()}</td>
                                                    <td class="px-4 py-3">{crate::i18n::t(lang, if r.active.unwrap_or(false) { Key::Yes } else { Key::No })}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {pager(&p, format!("/stores/{}/products", id.get_untracked()), q.get_untracked())}
                            }.into_any()
                        }
                        Err(error) => view! { <div class="p-6"><FriendlyError error/></div> }.into_any(),
                    }
                })}}
            </Transition>
        </DataFrame>
    }
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    view! { <RequireAuth><Customers/></RequireAuth> }
}

#[component]
fn Customers() -> impl IntoView {
    let i18n = use_i18n();
    let id = use_store_id();
    let (q, page) = use_search();
    let data = Resource::new(
        move || (id.get(), q.get(), page.get()),
        |(id, q, page)| list_customers(id, q, Some(page)),
    );
    view! {
        <DataFrame title=Key::CustomersTitle q>
            <Transition fallback=|| view! { <div class="p-6"><Loading lines=8/></div> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(p) if p.items.is_empty() => view! { <div class="p-6"><EmptyState title=Key::NoResults text=Key::NoResultsText/></div> }.into_any(),
                        Ok(p) => view! {
                            <div class="overflow-x-auto">
                                <table id="customers-table" class="w-full text-sm">
                                    <thead class="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                                        <tr>{th(i18n, Key::ColName, false)}{th(i18n, Key::ColEmail, false)}{th(i18n, Key::ColPhone, false)}</tr>
                                    </thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {p.items.iter().map(|r| view! {
                                            <tr class="hover:bg-slate-50">
                                                <td class="px-4 py-3 font-medium text-slate-900">{r.name.clone()}</td>
                                                <td class="px-4 py-3 text-slate-700">{r.email.clone().unwrap_or_default()}</td>
                                                <td class="whitespace-nowrap px-4 py-3 text-slate-700">{r.phone.clone().unwrap_or_default()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {pager(&p, format!("/stores/{}/customers", id.get_untracked()), q.get_untracked())}
                        }.into_any(),
                        Err(error) => view! { <div class="p-6"><FriendlyError error/></div> }.into_any(),
                    }
                })}
            </Transition>
        </DataFrame>
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    view! { <RequireAuth><Orders/></RequireAuth> }
}

#[component]
fn Orders() -> impl IntoView {
    let i18n = use_i18n();
    let id = use_store_id();
    let (q, page) = use_search();
    let data = Resource::new(
        move || (id.get(), q.get(), page.get()),
        |(id, q, page)| list_orders(id, q, Some(page)),
    );
    view! {
        <DataFrame title=Key::OrdersTitle q>
            <Transition fallback=|| view! { <div class="p-6"><Loading lines=8/></div> }>
                {move || { let lang = i18n.get(); Suspend::new(async move {
                    match data.await {
                        Ok(p) if p.items.is_empty() => view! { <div class="p-6"><EmptyState title=Key::NoResults text=Key::NoResultsText/></div> }.into_any(),
                        Ok(p) => {
                            let store = id.get_untracked();
                            view! {
                                <div class="overflow-x-auto">
                                    <table id="orders-table" class="w-full text-sm">
                                        <thead class="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                                            <tr>{th(i18n, Key::ColOrder, false)}{th(i18n, Key::ColCustomer, false)}{th(i18n, Key::ColStatus, false)}{th(i18n, Key::ColDate, false)}{th(i18n, Key::ColTotal, true)}</tr>
                                        </thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {p.items.iter().map(|r| view! {
                                                <tr class="hover:bg-slate-50" data-order=r.number.clone()>
                                                    <td class="px-4 py-3 font-medium"><A href=format!("/stores/{store}/orders/{}", r.id) attr:class=LINK>{format!("#{}", r.number)}</A></td>
                                                    <td class="px-4 py-3 text-slate-700">{r.customer.clone()}</td>
                                                    <td class="px-4 py-3"><span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">{r.status.clone().unwrap_or_default()}</span></td>
                                                    <td class="whitespace-nowrap px-4 py-3 text-slate-700">{r.ordered_at.map(|t| format_datetime(lang, t)).unwrap_or_default()}</td>
                                                    <td class="whitespace-nowrap px-4 py-3 text-right tabular-nums font-medium">{r.total.map(|v| format_money(lang, v, &r.currency)).unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {pager(&p, format!("/stores/{store}/orders"), q.get_untracked())}
                            }.into_any()
                        }
                        Err(error) => view! { <div class="p-6"><FriendlyError error/></div> }.into_any(),
                    }
                })}}
            </Transition>
        </DataFrame>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    view! { <RequireAuth><Order/></RequireAuth> }
}

#[component]
fn Order() -> impl IntoView {
    let id = use_store_id();
    let params = use_params_map();
    let order_id = Memo::new(move |_| params.with(|p| p.get("order")).unwrap_or_default());
    let data = Resource::new(
        move || (id.get(), order_id.get()),
        |(id, order)| get_order(id, order),
    );
    view! {
        <div class="space-y-6">
            <StoreTabs id=id.get_untracked() shopname=None/>
            <Suspense fallback=|| view! { <Loading lines=8/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(detail) => view! { <OrderBody detail store=id.get_untracked()/> }.into_any(),
                        Err(error) => view! { <FriendlyError error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn OrderBody(detail: OrderDetail, store: String) -> impl IntoView {
    let i18n = use_i18n();
    let o = detail.order.clone();
    let detail = StoredValue::new(detail);
    view! {
        <div class="space-y-6">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h1 id="order-title" class="text-2xl font-bold tracking-tight text-slate-900">{i18n.t(Key::OrderTitle)}{format!(" #{}", o.number)}</h1>
                <span class="rounded-full bg-slate-100 px-3 py-1 text-sm font-medium text-slate-800">{o.status.clone().unwrap_or_default()}</span>
            </div>
            <div class="grid gap-6 lg:grid-cols-3">
                <Card class="lg:col-span-2 !p-0 overflow-hidden">
                    <h2 class="px-5 pt-5 text-base font-semibold text-slate-900">{i18n.t(Key::OrderItems)}</h2>
                    <div class="mt-3 overflow-x-auto">
                        <table id="order-items" class="w-full text-sm">
                            <thead class="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                                <tr>{th(i18n, Key::ColName, false)}{th(i18n, Key::ColSku, false)}{th(i18n, Key::ColQuantity, true)}{th(i18n, Key::ColPrice, true)}</tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">
                                {move || {
                                    let lang = i18n.get();
                                    detail.with_value(|d| d.items.iter().map(|it| view! {
                                        <tr>
                                            <td class="px-4 py-3 font-medium text-slate-900">{it.name.clone()}</td>
                                            <td class="px-4 py-3 font-mono text-xs text-slate-600">{it.sku.clone().unwrap_or_default()}</td>
                                            <td class="px-4 py-3 text-right tabular-nums">{it.quantity.map(|q| format_quantity(lang, q)).unwrap_or_default()}</td>
                                            <td class="whitespace-nowrap px-4 py-3 text-right tabular-nums">{it.price.map(|p| format_money(lang, p, &it.currency)).unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view())
                                }}
                            </tbody>
                        </table>
                    </div>
                </Card>
                <div class="space-y-6">
                    <Card>
                        <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::OrderTotals)}</h2>
                        <dl class="mt-3 space-y-2 text-sm">
                            <div class="flex justify-between gap-3"><dt class="text-slate-600">{i18n.t(Key::ColCustomer)}</dt><dd class="text-right text-slate-900">{o.customer.clone()}</dd></div>
                            {detail.with_value(|d| d.email.clone()).map(|e| view! { <div class="flex justify-between gap-3"><dt class="text-slate-600">{i18n.t(Key::ColEmail)}</dt><dd class="truncate text-right text-slate-900">{e}</dd></div> })}
                            {detail.with_value(|d| d.phone.clone()).map(|p| view! { <div class="flex justify-between gap-3"><dt class="text-slate-600">{i18n.t(Key::ColPhone)}</dt><dd class="text-right text-slate-900">{p}</dd></div> })}
                            <div class="flex justify-between gap-3"><dt class="text-slate-600">{i18n.t(Key::OrderPlaced)}</dt><dd class="text-right text-slate-900">{move || o.ordered_at.map(|t| format_datetime(i18n.get(), t)).unwrap_or_default()}</dd></div>
                            <div class="flex justify-between gap-3 border-t border-slate-100 pt-2 text-base font-semibold"><dt>{i18n.t(Key::ColTotal)}</dt><dd id="order-total" class="tabular-nums">{move || o.total.map(|v| format_money(i18n.get(), v, &o.currency)).unwrap_or_default()}</dd></div>
                        </dl>
                    </Card>
                    <Card>
                        <h2 class="text-base font-semibold text-slate-900">{i18n.t(Key::OrderHistory)}</h2>
                        {move || {
                            let lang = i18n.get();
                            detail.with_value(|d| if d.history.is_empty() {
                                view! { <p class="mt-3 text-sm text-slate-600">{crate::i18n::t(lang, Key::OrderNoHistory)}</p> }.into_any()
                            } else {
                                view! {
                                    <ol class="mt-3 space-y-3 border-l-2 border-brand-100 pl-4 text-sm">
                                        {d.history.iter().map(|h| view! {
                                            <li><p class="font-medium text-slate-900">{h.status.clone()}</p><p class="text-xs text-slate-500">{format_datetime(lang, h.at)}</p></li>
                                        }).collect_view()}
                                    </ol>
                                }.into_any()
                            })
                        }}
                    </Card>
                </div>
            </div>
            <a href=format!("/stores/{store}/orders") class=LINK>"← "{i18n.t(Key::BackToOrders)}</a>
        </div>
    }
}
