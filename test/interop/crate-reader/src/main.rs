//! `crate-buffer`: reads and writes buffer snapshots exactly as the Rust crate
//! `nexus-memory-hooks` (module `buffer`) does, for the cross-language tests.
//!
//! The types mirror /work/shared/spec/buffer-format.md: every key required unless it is an
//! `Option`, no `#[serde(default)]`, no `deny_unknown_fields` (unknown keys are dropped),
//! enums in snake_case, timestamps as chrono `DateTime<Utc>`, `custom` a std `HashMap` of plain
//! `serde_json::Value`s (so it comes out in no fixed order, with nested objects sorted).
//!
//!   crate-buffer read <file>               parse as BufferData; print {"entries", "agent_type",
//!                                          "document"} where document is the re-serialised
//!                                          text, i.e. what the crate would write back; on a
//!                                          refusal exit 1 with serde's message on stderr
//!   crate-buffer write <file> <spec.json>  parse spec.json as BufferData and write it as the
//!                                          crate does (to_string_pretty, File::create in place)
//!   crate-buffer write-sample <file> [agent]
//!                                          write a BufferData with the edge values the crate
//!                                          can produce (big integers, 2.0, -0.0, 1e300,
//!                                          nanosecond timestamps, reliability 1.5, ...)
//!   crate-buffer rewrite <file>            read, then write the same data back in place (the
//!                                          crate recovering a buffer and flushing it)
//!
//! Exit codes: 0 ok, 1 the file was refused or could not be read/written, 2 usage.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BufferData {
    pub started_at: DateTime<Utc>,
    pub entries: Vec<BufferEntry>,
    pub last_flush: Option<DateTime<Utc>>,
    pub agent_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BufferEntry {
    pub timestamp: DateTime<Utc>,
    pub context_type: String,
    pub context: SessionContext,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionContext {
    pub agent_type: String,
    pub extraction_started: DateTime<Utc>,
    pub extraction_completed: Option<DateTime<Utc>>,
    pub session_id: Option<String>,
    pub conversation: Vec<ConversationMessage>,
    pub decisions: Vec<Decision>,
    pub files: Vec<FileInfo>,
    pub tasks: Vec<TaskInfo>,
    pub insights: Vec<String>,
    pub errors: Vec<ErrorInfo>,
    pub subagent_executions: Vec<SubagentExecution>,
    pub commands_run: Vec<String>,
    pub custom: HashMap<String, Value>,
    pub extraction_source: String,
    pub reliability_score: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationMessage {
    pub role: String,
    pub content: String,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    pub summary: String,
    pub rationale: Option<String>,
    pub alternatives: Vec<String>,
    pub impact: Option<String>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileInfo {
    pub path: String,
    pub action: FileAction,
    pub lines_added: Option<usize>,
    pub lines_removed: Option<usize>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    Created,
    Modified,
    Deleted,
    Read,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskInfo {
    pub description: String,
    pub status: TaskStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub subagent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub error_type: String,
    pub message: String,
    pub stack_trace: Option<String>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubagentExecution {
    pub subagent_type: String,
    pub task: String,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub result_summary: Option<String>,
}

/// The crate's reader: the whole file, one parse, one error for the whole buffer.
fn read_buffer(path: &str) -> Result<BufferData, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str::<BufferData>(&text).map_err(|e| format!("{path}: {e}"))
}

/// The crate's writer (1.1/1.2): pretty JSON, no trailing newline, the file replaced in place.
fn write_buffer(path: &str, data: &BufferData) -> Result<(), String> {
    let text = serde_json::to_string_pretty(data).map_err(|e| format!("{path}: {e}"))?;
    let mut file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("{path}: {e}"))
}

fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, nanos).single().expect("a valid instant")
}

/// A buffer with every field set and the values only a Rust writer produces.
fn edge_sample(agent: &str) -> BufferData {
    let base = 1_781_000_000; // 2026-06-09
    let mut custom = HashMap::new();
    custom.insert("u64_max".to_string(), json!(u64::MAX));
    custom.insert("i64_min".to_string(), json!(i64::MIN));
    custom.insert("above_2_53".to_string(), json!(9_007_199_254_740_993u64));
    custom.insert("two".to_string(), json!(2.0f64));
    custom.insert("negative_zero".to_string(), json!(-0.0f64));
    custom.insert("huge".to_string(), json!(1e300f64));
    custom.insert("10".to_string(), json!("ten"));
    custom.insert("9".to_string(), json!("nine"));
    custom.insert(
        "nested".to_string(),
        json!({"zeta": 1, "alpha": {"y": [1, 2.5, "x", null], "b": false}, "mid": -7}),
    );
    custom.insert("text".to_string(), json!("tab\t quote\" emoji \u{1F600} nul-free"));
    let full = SessionContext {
        agent_type: agent.to_string(),
        extraction_started: at(base, 123_456_789),
        extraction_completed: Some(at(base + 1, 1)),
        session_id: Some("5b1c1f0e-9d7e-4f1c-8a59-0c7d2b8e3f41".to_string()),
        conversation: vec![ConversationMessage {
            role: "user".to_string(),
            content: "Keep EXIF orientation".to_string(),
            timestamp: at(base, 987_654_321),
        }],
        decisions: vec![Decision {
            summary: "Rotate on import".to_string(),
            rationale: Some("viewers ignore the tag".to_string()),
            alternatives: vec!["keep the tag".to_string(), "strip all EXIF".to_string()],
            impact: Some("high".to_string()),
            timestamp: at(base, 100_000_000),
        }],
        files: vec![FileInfo {
            path: "lib/resize.py".to_string(),
            action: FileAction::Modified,
            lines_added: Some(usize::MAX),
            lines_removed: Some(4_294_967_296),
            timestamp: at(base, 999_999_999),
        }],
        tasks: vec![TaskInfo {
            description: "Add a portrait JPEG".to_string(),
            status: TaskStatus::InProgress,
            started_at: Some(at(base, 1_000)),
            completed_at: Some(at(base + 60, 0)),
            subagent: Some("test-writer".to_string()),
        }],
        insights: vec!["orientation 6 means 90 degrees clockwise".to_string()],
        errors: vec![ErrorInfo {
            error_type: "AssertionError".to_string(),
            message: "expected 600x800".to_string(),
            stack_trace: Some("tests/test_resize.py:12".to_string()),
            timestamp: at(base, 500_000),
        }],
        subagent_executions: vec![SubagentExecution {
            subagent_type: "reviewer".to_string(),
            task: "review the patch".to_string(),
            status: "completed".to_string(),
            started_at: at(base, 42),
            completed_at: Some(at(base + 2, 0)),
            result_summary: Some("looks right".to_string()),
        }],
        commands_run: vec!["pytest -q".to_string()],
        custom,
        extraction_source: "native".to_string(),
        reliability_score: 1.5,
    };
    let empty = SessionContext {
        agent_type: agent.to_string(),
        extraction_started: at(base + 5, 0),
        extraction_completed: None,
        session_id: None,
        conversation: vec![],
        decisions: vec![],
        files: vec![],
        tasks: vec![],
        insights: vec![],
        errors: vec![],
        subagent_executions: vec![],
        commands_run: vec![],
        custom: HashMap::new(),
        extraction_source: "unknown".to_string(),
        reliability_score: 1.0,
    };
    BufferData {
        started_at: at(base - 100, 918_231_007),
        entries: vec![
            BufferEntry { timestamp: at(base + 2, 330_118_552), context_type: "checkpoint".to_string(), context: full },
            BufferEntry { timestamp: at(base + 6, 0), context_type: "session-end".to_string(), context: empty },
        ],
        last_flush: Some(at(base + 3, 5)),
        agent_type: agent.to_string(),
    }
}

fn run(args: &[String]) -> Result<(), (u8, String)> {
    let fail = |e: String| (1u8, e);
    match args {
        [cmd, file] if cmd == "read" => {
            let data = read_buffer(file).map_err(fail)?;
            let document = serde_json::to_string_pretty(&data).map_err(|e| fail(e.to_string()))?;
            let summary = json!({"entries": data.entries.len(), "agent_type": data.agent_type, "document": document});
            println!("{summary}");
            Ok(())
        }
        [cmd, file, spec] if cmd == "write" => {
            let data = read_buffer(spec).map_err(fail)?;
            write_buffer(file, &data).map_err(fail)
        }
        [cmd, file, rest @ ..] if cmd == "write-sample" && rest.len() <= 1 => {
            let agent = rest.first().map(String::as_str).unwrap_or("generic");
            write_buffer(file, &edge_sample(agent)).map_err(fail)
        }
        [cmd, file] if cmd == "rewrite" => {
            let data = read_buffer(file).map_err(fail)?;
            write_buffer(file, &data).map_err(fail)
        }
        _ => Err((
            2,
            "usage: crate-buffer read FILE | write FILE SPEC.json | write-sample FILE [AGENT] | rewrite FILE".to_string(),
        )),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("crate-buffer: {message}");
            ExitCode::from(code)
        }
    }
}
