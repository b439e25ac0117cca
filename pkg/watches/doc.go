// Package watches loads watches.yaml, the routing table that sits in front of the
// whole flow (CR event -> reconcile -> extra vars -> runner -> Ansible -> events ->
// status): each entry names a kind whose CR events start a reconcile, and the role or
// playbook the runner runs for it.
//
// The file format is upstream ansible-operator's, so an existing project's watches.yaml
// loads unchanged: the same keys and defaults, ${VAR} expansion before parsing, the same
// role lookup order (collections path for ns.coll.role names, then ANSIBLE_ROLES_PATH,
// then <cwd>/roles), and a playbook that wins over a role when both are set. Where we
// differ, we do so on purpose:
//
//   - markUnsafe defaults to true, so Jinja in CR strings is never evaluated unless
//     the file sets markUnsafe: false.
//   - maxConcurrentReconciles and ansibleVerbosity are honoured (upstream ignores them).
//   - An unknown key is a Warning, not silence, so a typo such as manageStatuss is seen.
//   - Every problem in the file is reported at once, each as a *FieldError that names
//     the file, the entry, and the field.
//   - A finalizer role or playbook that does not exist is tolerated when finalizer.vars
//     is set, as upstream, but we say so in a Warning and run the watch's own role or
//     playbook with those vars instead of a path that would fail at deletion time.
//
// Apart from reading the file and stat'ing role and playbook paths, the package is pure:
// the environment, working directory and search paths come in through Options.
package watches
