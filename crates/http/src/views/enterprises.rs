//! Enterprises, as the API shows and takes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhitong_storage as storage;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enterprise {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码.
    pub uscc: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
}

impl From<&storage::Enterprise> for Enterprise {
    fn from(e: &storage::Enterprise) -> Self {
        let storage::Enterprise { id, name, uscc, contact, phone, address, industry } = e.clone();
        Enterprise { id, name, uscc, contact, phone, address, industry }
    }
}

/// What intake says about the enterprise (`enterprise` in the API).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EnterpriseInput {
    #[serde(default)]
    pub name: String,
    pub uscc: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
}

impl From<EnterpriseInput> for storage::EnterpriseInput {
    fn from(e: EnterpriseInput) -> Self {
        let EnterpriseInput { name, uscc, contact, phone, address, industry } = e;
        storage::EnterpriseInput { name, uscc, contact, phone, address, industry }
    }
}
