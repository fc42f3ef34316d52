//! MTA logs: format detection, one module per format, the domain filter and the summary.
