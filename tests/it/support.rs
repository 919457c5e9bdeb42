//! A fresh temporary directory per test, the hand-made fixture, and running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use churn::data::{self, LoadOptions, RawTables};
use churn::dates::parse_day;

pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `text` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Runs `churn` with `args` in this directory.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_churn"))
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("run churn")
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn day(text: &str) -> i32 {
    parse_day(text).unwrap()
}

/// The as-of date of the fixture.
pub const T: &str = "2025-06-30";

pub const CUSTOMERS: &str = "\
customer_id,signup_date,segment,region,churned_at,account_manager
C1,2024-01-01,smb,north,,ann
C2,2025-06-30,consumer,south,,bob
C3,2024-03-01,consumer,north,,ann
C4,2025-07-01,consumer,north,,bob
C5,2024-05-01,smb,south,,ann
C6,2024-01-15,enterprise,east,2025-09-28,bob
C7,2024-02-01,,west,2025-06-30,ann
";

/// Around T = 2025-06-30: T-365 = 2024-06-30, T-180 = 2025-01-01, T-90 = 2025-04-01,
/// T-30 = 2025-05-31, T+1 = 2025-07-01, T+90 = 2025-09-28.
pub const ORDERS: &str = "\
order_id,customer_id,order_date,amount
o1,C1,2024-06-30,100
o2,C1,2024-07-01,50
o3,C1,2025-01-01,20
o4,C1,2025-04-01,30
o5,C1,2025-05-31T09:30:00,10
o6,C1,2025-06-30T23:59:59,40
o7,C1,2025-07-01,1000
o8,C2,2025-06-30,25
o9,C3,2024-12-01,5
o10,C3,2025-04-01,5
o11,C4,2025-07-02,5
o12,C6,2025-06-15,200
o13,C6,2025-09-28,10
o14,C7,2025-06-01,15.5
o15,C7,2025-09-29,15.5
";

pub const TICKETS: &str = "\
ticket_id,customer_id,created_at,priority,resolved_at
t1,C1,2025-06-30T23:00:00,urgent,
t2,C1,2025-04-01T10:00:00,urgent,2025-04-02T10:00:00
t3,C1,2025-06-01T08:00:00,high,2025-07-01T08:00:00
t4,C1,2025-07-01T00:00:00,normal,
t5,C1,2025-05-31T12:00:00,low,2025-05-31T18:00:00
t6,C7,2025-06-20T12:00:00,normal,2025-06-30T12:00:00
";

pub const SURVEYS: &str = "\
customer_id,responded_at,kind,score
C1,2025-01-10T09:00:00,csat,9
C1,2025-06-30T20:00:00,csat,4
C1,2025-07-01T09:00:00,csat,10
C1,2024-06-30T12:00:00,csat,2
C1,2025-03-01T10:00:00,nps,6
C1,2025-07-02T10:00:00,nps,10
C6,2025-02-01,nps,9
";

/// Writes the fixture's four tables into `dir` under `data/`.
pub fn write_fixture(w: &Workdir) -> PathBuf {
    w.write("data/customers.csv", CUSTOMERS);
    w.write("data/orders.csv", ORDERS);
    w.write("data/tickets.csv", TICKETS);
    w.write("data/surveys.csv", SURVEYS);
    w.join("data")
}

pub fn load(dir: &Path) -> RawTables {
    data::load(dir, &LoadOptions::default())
        .expect("fixture loads")
        .0
}
