"""Pooling: compatible orders nested onto shared production panels, and the panels' production data.

Public surface:
- `pool(orders, settings, time_limit)` -> `PoolResult` (pool.py): grouping, nesting, deadline rule;
- `nest(w, h, sheet, rotation, time_limit)` -> `Nesting` (nesting.py): the nesting itself;
  `nest_on_cores(...)` (portfolio.py): its search on every core, the best kept (what `pool` runs);
- `lower_bound(sizes, width, height, rotation)` -> `Bound` (bounds.py);
- orders and settings: `parse_order`, `check_groups`, `load_settings`, `PoolSettings`;
- the words: `Order`, `Process`, `Panel`, `PanelSize`, `Placement`, `Mark`, `Rejected`;
- outputs: `pool_json` (report.py, schema flyfab.pool/1), `panel_data`/`write_panel_data`
  (production.py), `write_pictures`/`traveller` (pictures.py, loads matplotlib on import).
"""

from flyfab.pooling.bounds import Bound, lower_bound
from flyfab.pooling.model import Mark, Order, Panel, PanelSize, Placement, Process, Rejected
from flyfab.pooling.nesting import Nesting, Sheet, nest
from flyfab.pooling.orders import check_groups, parse_order
from flyfab.pooling.pool import PoolResult, pool
from flyfab.pooling.portfolio import nest_on_cores
from flyfab.pooling.settings import PoolSettings, SettingsError, load_settings

__all__ = [
    "Bound",
    "Mark",
    "Nesting",
    "Order",
    "Panel",
    "PanelSize",
    "Placement",
    "PoolResult",
    "PoolSettings",
    "Process",
    "Rejected",
    "SettingsError",
    "Sheet",
    "check_groups",
    "load_settings",
    "lower_bound",
    "nest",
    "nest_on_cores",
    "parse_order",
    "pool",
]
