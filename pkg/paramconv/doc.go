// Package paramconv renames keys for the extra-vars stage of the flow (CR event ->
// reconcile -> extra vars -> runner -> Ansible -> events -> status): when a watch
// sets snakeCaseParameters, pkg/extravars passes a CR's spec through Convert so
// that a field written as dynflowWorkers reaches the role as dynflow_workers.
//
// The rules are upstream ansible-operator's, because roles written for it depend on
// the exact names, quirks included:
//
//   - A word boundary goes where a lowercase letter meets an uppercase one
//     (fooBar -> foo_bar) and before the last capital of an acronym that runs into a
//     word (JSONData -> json_data), so acronyms stay whole words. Digits never start
//     a word (sizeK8sBuckets -> size_k8s_buckets).
//   - In a word that has lowercase letters, each uppercase HTTP, URL and IP is a word
//     of its own, and a lowercase s right after it is its plural: egressIPs ->
//     egress_ips, egressIPsegress -> egress_ips_egress (so IPsec -> ips_ec, as
//     upstream). A word written all in capitals is left whole (SKIP stays skip).
//   - A leading capital gives a leading underscore (Foo -> _foo), except when the
//     key starts with a singular HTTP, URL or IP (URLegress -> url_egress, but
//     URLsegress -> _urls_egress), as in upstream's own tests.
//   - Each -, space and _ becomes one _; runs are not collapsed. Spaces around the
//     key are trimmed.
//
// Upstream's tests fix those cases; where they are silent (HTTPS written in
// capitals, specials in an all-capitals word next to a camelCase one, two keys
// that convert to the same name) the rules above are our reading, and the tests
// mark which cases are upstream's. Only ASCII letters have a case for these rules;
// the result is lowercased with strings.ToLower.
//
// The package is pure: no I/O and no state.
package paramconv
