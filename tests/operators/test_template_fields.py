"""Every operator templates its constructor's own argument names (what the Rendered Template view shows)."""

from __future__ import annotations

import inspect

import pytest

from airflow_provider_focus.operators import focus


def _operators() -> list[type]:
    return [
        cls
        for name, cls in vars(focus).items()
        if inspect.isclass(cls) and name.endswith("Operator") and not inspect.isabstract(cls) and cls.__module__
    ]


def _own_arguments(cls: type) -> set[str]:
    init = cls.__dict__.get("__init__")
    if init is None:
        return set()
    parameters = inspect.signature(init).parameters.values()
    return {parameter.name for parameter in parameters if parameter.kind is parameter.KEYWORD_ONLY}


@pytest.mark.parametrize("cls", _operators(), ids=lambda cls: cls.__name__)
def test_template_fields_are_constructor_arguments(cls):
    """A class that declares template fields takes each new one as an argument of its own constructor."""
    for klass in cls.__mro__:
        if "template_fields" not in klass.__dict__:
            continue
        inherited = {name for base in klass.__mro__[1:] for name in getattr(base, "template_fields", ())}
        new = set(klass.__dict__["template_fields"]) - inherited
        missing = new - _own_arguments(klass)
        assert missing == set(), f"{klass.__name__} templates {sorted(missing)}, which its constructor does not take"


def test_delete_operators_store_and_template_the_id_under_its_argument_name(context):
    op = focus.FocusDeleteBenefitItemOperator(task_id="d", benefit_item_id="{{ params.id }}")
    op.render_template_fields({**context, "params": {"id": "b-7"}})
    assert op.benefit_item_id == "b-7"
    assert not hasattr(op, "item_id")
    cost = focus.FocusDeleteCostItemOperator(task_id="d", cost_item_id="c-1")
    assert (cost.cost_item_id, hasattr(cost, "item_id")) == ("c-1", False)
