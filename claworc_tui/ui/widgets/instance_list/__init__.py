"""The instance list: one table of columns (``columns.py``), the rows drawn from it
(``rows.py``), the sort/filter/mark state (``state.py``) and the widget (``widget.py``).

A new column is one entry in ``columns.COLUMNS``.
"""

from claworc_tui.ui.widgets.instance_list.widget import InstanceList

__all__ = ["InstanceList"]
