// Package artifacts keeps what the runner stage of the flow (CR event ->
// reconcile -> extra vars -> runner -> Ansible -> events -> status) leaves on
// disk, and bounds it.
//
// Each CR has a directory laid out like ansible-runner's private data dir;
// every run writes <dir>/artifacts/<ident>/ and, when it ends,
// <dir>/artifacts/latest points at it (a relative symlink, replaced by
// rename so readers never see it missing). Two limits apply when a run ends,
// in this order:
//
//   - per CR: at most keep run directories, oldest first (0 keeps all), like
//     ansible-runner's --rotate-artifacts;
//   - global: the finished runs of every CR directory the Store knows
//     together stay within the cap in bytes (0 means no cap); the oldest
//     runs go first, whatever CR they belong to. A run that has not ended,
//     and the run that just ended, are never removed, so one run larger than
//     the cap is kept until a newer one ends. A CR whose runs all went loses
//     its latest link too.
//
// Sizes are apparent sizes (the sum of the files' lengths), measured once
// when a run ends; runs already on disk from an earlier process count from
// the first time their CR directory is used, ordered by modification time.
// Remove deletes a CR's directory for good, for when the CR is deleted.
//
// A Store serialises its own bookkeeping; the caller (pkg/runner) makes sure
// that one CR directory has one run at a time.
package artifacts
