//! An installation's first data, written at once: the organisation, its
//! accounts and enterprises, and a marker setting (the first admin of a new
//! installation, or the demo). All of it or nothing.

use crate::{EnterpriseInput, NewUser, OrgSeed, Result, Store};

/// What [`Store::install`] writes.
#[derive(Default)]
pub struct Installation<'a> {
    /// Jurisdictions, units, lines and topics, when the organisation is new.
    pub seed: Option<&'a OrgSeed>,
    pub users: &'a [NewUser<'a>],
    pub enterprises: &'a [EnterpriseInput],
    /// A setting recording that this was done (e.g. `demo_loaded`), written in the same transaction.
    pub marker: Option<(&'a str, &'a str)>,
    /// The users' passwords are one-time ones (a real installation's first administrators): changed at the
    /// first sign-in. The demo's are not: they are printed for trying the product.
    pub must_change_password: bool,
}

impl Store {
    /// Write an installation's first data in one transaction, then reload the organisation. Returns the
    /// new users' ids, in order.
    pub async fn install(&self, i: &Installation<'_>) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        if let Some(seed) = i.seed {
            seed.insert(&mut tx).await?;
        }
        let mut ids = Vec::with_capacity(i.users.len());
        for u in i.users {
            let id = self.insert_user(&mut tx, u).await?;
            if i.must_change_password {
                sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            ids.push(id);
        }
        for e in i.enterprises {
            self.save_enterprise(&mut tx, e).await?;
        }
        if let Some((key, value)) = i.marker {
            self.set_setting(&mut tx, key, value).await?;
        }
        tx.commit().await?;
        self.reload_org().await?;
        Ok(ids)
    }

    /// Record one setting (e.g. the scheduler's watermark) in a transaction of its own.
    pub async fn save_setting(&self, key: &str, value: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        self.set_setting(&mut tx, key, value).await?;
        tx.commit().await?;
        Ok(())
    }
}
