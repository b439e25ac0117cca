#!/bin/sh
# Stands in for ansible-playbook where real Ansible cannot be made to
# misbehave: it reports stats that count nothing failed, then exits 2.
printf '%s\n' '{"uuid":"u1","counter":1,"event":"playbook_on_stats","created":"2024-05-01T10:00:00.123456","event_data":{"ok":{"localhost":1}}}' >&3
echo "fake failure on stderr" >&2
exit 2
