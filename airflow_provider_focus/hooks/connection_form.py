"""
The connection form for Airflow 3.0/3.1, made from the same table as the declarative form of Airflow 3.2+.

Airflow 3.0 and 3.1 do not read ``conn-fields`` from the provider info; they call the hook's
``get_connection_form_widgets()`` (WTForms fields) and ``get_ui_field_behaviour()``. Both come from
:mod:`airflow_provider_focus.api.conn_fields`, so labels, descriptions, defaults, choices, placeholders and hidden
fields are the same on every Airflow version. WTForms and Flask-AppBuilder come with the FAB provider, which may be
absent: they are imported here, when Airflow asks, and their absence gives no widgets rather than an error.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_focus.api.conn_fields import EXTRA_FIELDS, FORM_BEHAVIOUR


def ui_field_behaviour() -> dict[str, Any]:
    """Return the hidden fields, labels and placeholders of the form, as ``get_ui_field_behaviour()`` spells them."""
    return FORM_BEHAVIOUR.hook_behaviour()


def connection_form_widgets() -> dict[str, Any]:
    """
    Return one WTForms field per extra of the table, or ``{}`` when WTForms or Flask-AppBuilder is not installed.

    Only the field classes Airflow accepts from a hook are used (``StringField``, ``IntegerField``); a number with
    a fraction (``timeout``) is a text field whose value the extras parser reads and checks.
    """
    try:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import IntegerField, StringField
        from wtforms.validators import NumberRange, Optional, any_of
    except ImportError:
        return {}

    widgets: dict[str, Any] = {}
    for extra in EXTRA_FIELDS:
        validators: list[Any] = [Optional()]
        if extra.choices:
            validators.append(any_of(list(extra.choices)))
        if extra.type == "integer":
            validators.append(NumberRange(min=extra.minimum, max=extra.maximum))
            widgets[extra.name] = IntegerField(
                lazy_gettext(extra.label),
                validators=validators,
                description=extra.description,
                default=extra.default,
                widget=BS3TextFieldWidget(),
            )
        else:
            widgets[extra.name] = StringField(
                lazy_gettext(extra.label),
                validators=validators,
                description=extra.description,
                default=None if extra.default is None else str(extra.default),
                widget=BS3TextFieldWidget(),
            )
    return widgets
