//! SMTP: reply parser, client session with STARTTLS, connection outcome classification, the
//! probe and the reply explainer.
