// Package extravars is the extra-vars stage of the flow (CR event -> reconcile ->
// extra vars -> runner -> Ansible -> events -> status): it turns the CR that a
// reconcile fetched into the variables the runner hands to Ansible as extra vars.
//
// The variables are upstream ansible-operator's, in upstream's order; a later step
// overwrites a top-level key of an earlier one:
//
//  1. the spec's top-level keys, snake_cased by pkg/paramconv when the watch sets
//     snakeCaseParameters (a CR without a spec, such as a Secret, has spec {});
//  2. ansible_operator_meta: {name, namespace}, and nothing else;
//  3. _<group>_<kind>: the whole object, unconverted, with dots and dashes of the
//     group turned into underscores and the kind lowercased
//     (_app_theforeman_org_foreman; __secret for the core group); as upstream, a
//     missing spec appears in it as spec: {};
//  4. _<group>_<kind>_spec: the spec, unconverted;
//  5. the watch's vars;
//  6. the finalizer's vars, on a deletion run only.
//
// With markUnsafe, every string in 1, 3 and 4, at any depth, becomes
// {"__ansible_unsafe": "<string>"}, which Ansible loads as an unsafe string it
// never templates; the meta and the watch and finalizer vars are the operator
// author's and stay as they are. Map keys cannot be marked; Ansible does not
// template them, but a role that turns a key into a value (dict2items, then
// set_fact) must treat it as untrusted.
//
// # Reserved keys
//
// Extra vars have the highest precedence in Ansible, so upstream lets a CR author
// set ansible_python_interpreter, ansible_become or hostvars through the spec.
// Build refuses a spec whose top-level key, after conversion, names a reserved
// variable, and returns a *ReservedKeyError and no variables. What is reserved is
// listed, with the reason for each entry, in reserved.go. Keys of nested maps are
// not checked: they never become variables of their own.
//
// The package is pure: it reads only its Input and never changes it, and the
// variables it returns share no maps or lists with the object.
package extravars
