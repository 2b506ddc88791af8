//! Users and their accounts, as the API shows and takes them.
