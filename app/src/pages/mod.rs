//! Pages of the merchant UI, one module per area.

mod auth;
mod data;
mod home;
pub mod integrations;
pub mod keys;
mod not_found;
pub mod store;

pub use auth::{SignInPage, SignUpPage};
pub use data::{CustomersPage, OrderPage, OrdersPage, ProductsPage};
pub use home::HomePage;
pub use integrations::IntegrationsPage;
pub use not_found::NotFound;
pub use store::StorePage;
