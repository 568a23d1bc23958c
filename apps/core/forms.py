from typing import Any


def add_service_errors(form: Any, error: Any) -> None:
    """Show a service's ValidationError on the form: per field where it names one, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def person_label(obj: Any) -> str:
    """How a user is offered in a choice of owner: full name, else username."""
    return obj.get_full_name() or obj.get_username()
