//! SMTP: reply parser, client session with STARTTLS, connection outcome classification, the
//! probe and the reply explainer.

pub mod classify;
pub mod connection;
pub mod explain;
pub mod family;
pub mod pipeline;
pub mod probe;
pub mod reply;
pub mod session;
pub mod stream;
pub mod swaks;
pub mod target;
pub mod tls;
pub mod tls_policy;
pub mod transport;
pub mod vantage;
