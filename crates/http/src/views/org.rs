//! The organisation (jurisdictions, units, lines, topics), as the API shows and takes it.
