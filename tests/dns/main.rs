//! DNS: the resolver, the nslookup console, MX analysis, block lists, and our identity (PTR,
//! HELO), through the engines, the binary and steps 2, 5 and 6.

mod console;
mod dnsbl;
mod identity_ptr;
mod identity_snapshots;
mod identity_steps;
mod mx;
mod resolver;
mod wizard;
