//! Local sign-in, role-based access control and the audit trail: the gate every Tracker
//! call passes through.
