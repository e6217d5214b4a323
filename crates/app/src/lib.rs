//! Use cases of chittyid, generic over their ports. Today: validation reports shared by the
//! command line and (later) the HTTP layer, so that both speak the same JSON.

pub mod validation;
