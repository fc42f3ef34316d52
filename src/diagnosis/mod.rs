//! Diagnosis: rules that turn findings into ranked likely causes with their next actions.
