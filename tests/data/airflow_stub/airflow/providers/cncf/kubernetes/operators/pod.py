"""Stand-in for the Kubernetes pod operator (module path of provider 10.x and later).

Only keyword arguments of the current provider are accepted: `is_delete_operator_pod`
(removed in 10.0) raises TypeError like a real import of such a DAG would fail.
"""

import re

from airflow import current_dag

_TEMPLATE = re.compile(r"\{\{\s*(\w+)\s*(?:\|\s*(\w+)\s*)?\}\}")


def _render(text, context):
    def one(match):
        value = context[match.group(1)]
        if match.group(2) == "ts":
            return value.isoformat()
        if match.group(2) is None:
            return str(value)
        raise ValueError("unknown filter %r" % match.group(2))

    return _TEMPLATE.sub(one, text)


class KubernetesPodOperator:
    def __init__(self, *, task_id, name, namespace, image, cmds, arguments,
                 on_finish_action="delete_succeeded_pod", get_logs=True):
        if on_finish_action not in ("delete_pod", "delete_succeeded_pod", "keep_pod"):
            raise ValueError("on_finish_action %r" % (on_finish_action,))
        self.task_id = task_id
        self.name = name
        self.namespace = namespace
        self.image = image
        self.cmds = list(cmds)
        self.arguments = list(arguments)
        self.on_finish_action = on_finish_action
        self.get_logs = get_logs
        self.dag = current_dag()
        if task_id in self.dag.tasks:
            raise ValueError("duplicate task_id %r" % task_id)
        self.dag.tasks[task_id] = self

    def render_arguments(self, context):
        """The arguments with the Jinja templates `{{ name }}` and `{{ name | ts }}` filled."""
        return [_render(a, context) for a in self.arguments]

    def __rshift__(self, other):
        self.dag.edges.add((self.task_id, other.task_id))
        return other
