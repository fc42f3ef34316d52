//! SMTP: reply parser, client session with STARTTLS, connection outcome classification, the
//! probe and the reply explainer.

pub mod connection;
pub mod explain;
pub mod reply;
pub mod stream;
pub mod tls;
