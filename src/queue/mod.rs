//! Mail queues: one module per source, all read into queue entries; grouping and ages.
