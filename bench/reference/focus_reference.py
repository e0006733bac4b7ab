#!/usr/bin/python3
"""The Python reference `focus` for the CLI benchmarks: a twin of upstream's command line
(rockit-astro/focusd-atlas `focus`, written for this repository from its published behaviour).

It does what upstream's does on each call: imports Pyro4 and jsonschema (rockit-common requires
it, and rockit.common.validation validates with it), reads the phone book, loads and validates the config named by
FOCUSD_CONFIG_PATH (Draft 4 with the daemon_name and machine_name validators), connects a
Pyro4.Proxy to the config's daemon and prints what upstream prints: `status` the status line,
`json` json.dumps of report_status(). A CommunicationError is -101 with its message.

The phone book is our config/phonebook.json plus the files in FOCUSD_PHONEBOOK (rockit keeps it
as the Python modules rockit.common.daemons and rockit.common.IP; reading the same data from json
is, if anything, cheaper than importing them).

Usage: FOCUSD_CONFIG_PATH=config.json focus_reference.py status|json
"""
import glob
import json
import os
import sys

import Pyro4

try:
    import jsonschema
except ImportError:
    # rockit-common requires it, so upstream's focus always validates its config: without it this
    # would be measuring a lighter program than the one it stands for.
    sys.exit('focus_reference.py: python3-jsonschema is missing (apt-get install -y python3-jsonschema)')

HERE = os.path.dirname(os.path.abspath(__file__))
BUILT_IN_PHONEBOOK = os.path.join(HERE, '..', '..', 'config', 'phonebook.json')

CONFIG_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['daemon', 'log_name', 'control_machines', 'move_timeout'],
    'properties': {
        'daemon': {'type': 'string', 'daemon_name': True},
        'log_name': {'type': 'string'},
        'control_machines': {'type': 'array', 'items': {'type': 'string', 'machine_name': True}},
        'move_timeout': {'type': 'number'},
    },
}

STATUS_LABELS = {0: 'OFFLINE', 1: 'IDLE', 2: 'MOVING'}
MESSAGES = {-101: 'error: unable to communicate with focus daemon'}


def phone_book():
    daemons, machines = {}, {}
    files = [BUILT_IN_PHONEBOOK] + [f for f in os.environ.get('FOCUSD_PHONEBOOK', '').split(':') if f]
    for path in files:
        with open(path, 'r', encoding='utf-8') as f:
            book = json.load(f)
        machines.update(book.get('machines', {}))
        daemons.update(book.get('daemons', {}))
    return daemons, machines


class Config:
    def __init__(self, path, daemons, machines):
        with open(path, 'r', encoding='utf-8') as f:
            config_json = json.load(f)

        def daemon_name(validator, value, instance, schema):
            if instance not in daemons:
                yield jsonschema.ValidationError(f'{instance} is not a valid daemon name')

        def machine_name(validator, value, instance, schema):
            if instance not in machines:
                yield jsonschema.ValidationError(f'{instance} is not a valid machine name')

        validators = dict(jsonschema.Draft4Validator.VALIDATORS)
        validators.update({'daemon_name': daemon_name, 'machine_name': machine_name})
        cls = jsonschema.validators.create(meta_schema=jsonschema.Draft4Validator.META_SCHEMA, validators=validators)
        errors = list(cls(CONFIG_SCHEMA).iter_errors(config_json))
        if errors:
            raise ValueError('Invalid configuration:\n\t' + '\n\t'.join(e.message for e in errors))
        entry = daemons[config_json['daemon']]
        host = machines.get(entry['host'], entry['host'])
        self.uri = f"PYRO:{entry['object_id']}@{host}:{entry['port']}"
        self.timeout = entry.get('default_timeout', 5)
        self.move_timeout = config_json['move_timeout']

    def connect(self):
        proxy = Pyro4.Proxy(self.uri)
        proxy._pyroTimeout = self.timeout
        return proxy


def print_status(config):
    with config.connect() as focusd:
        data = focusd.report_status()
    label = f'Focuser is {STATUS_LABELS.get(data["status"], "UNKNOWN")}'
    if data['status'] == 1:
        label += f' ({data["current_steps"]:06d} steps)'
    elif data['status'] == 2:
        label += f' ({data["current_steps"]:06d} / {data["target_steps"]:06d} steps)'
    print(label)
    return 0


def print_json(config):
    with config.connect() as focusd:
        print(json.dumps(focusd.report_status() or {}))
    return 0


def main():
    commands = {'status': print_status, 'json': print_json}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print('usage: focus_reference.py status|json')
        return 1
    if 'FOCUSD_CONFIG_PATH' in os.environ:
        path = os.environ['FOCUSD_CONFIG_PATH']
    else:
        files = glob.glob('/etc/focusd/*.json')
        if len(files) != 1:
            print('error: failed to guess the default config file.')
            return 1
        path = files[0]
    daemons, machines = phone_book()
    config = Config(path, daemons, machines)
    try:
        ret = commands[sys.argv[1]](config)
    except Pyro4.errors.CommunicationError:
        ret = -101
    if ret not in [-1, 0]:
        print(MESSAGES.get(ret, f'error: code {ret}'))
    return ret


if __name__ == '__main__':
    sys.exit(main())
