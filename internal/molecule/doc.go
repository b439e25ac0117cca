// Package molecule runs the project's Molecule scenarios where Molecule is
// not installed: it reads molecule/<scenario>/molecule.yml merged over the
// project's base configuration (.config/molecule/config.yml), as Molecule 6
// does, and runs the playbooks of Molecule's test sequence with
// ansible-playbook, with the inventory, ansible.cfg and environment Molecule
// would give them. It sits outside the operator's data flow: only
// hack/molecule and the tests use it.
//
// # What it honours
//
// The Molecule 6 schema, checked strictly: an unknown key, the driver's old
// name delegated, or a feature this runner does not implement (inventory
// links, a lint or check action) is an error naming it, so that a scenario
// that passes here means the same under Molecule. Environment variables are
// interpolated into both files as Molecule does ($VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, $$ for a dollar), MOLECULE_* included.
//
// # The sequence
//
// test runs scenario.test_sequence, by default Molecule's: dependency,
// cleanup, destroy, syntax, create, prepare, converge, idempotence,
// side_effect, verify, cleanup, destroy. Each playbook action runs when its
// playbook exists (provisioner.playbooks, else <action>.yml in the scenario);
// dependency is left to the installed collections; syntax is
// ansible-playbook --syntax-check of converge. create and prepare run once
// until destroy, as Molecule records in its state file.
//
// idempotence runs converge again, skipping tasks tagged
// molecule-idempotence-notest, and fails when any task reports changed. The
// count does not come from parsing the PLAY RECAP text, which callbacks and
// verbosity change, but from a callback plugin of this package that Ansible
// loads beside the stdout callback and that writes the play's statistics and
// the changed tasks as JSON (callback.go).
//
// When a step fails, the on-failure playbook (the project's dump of custom
// resources, children, Events and the operator's log) runs, then cleanup and
// destroy, as Molecule's test --destroy always does.
package molecule
