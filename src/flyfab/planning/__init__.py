"""Production planning: the factory model, a schedule for every panel, promises.

Public surface: the factory model (`load_factory`, `Factory`, `FactoryError`), the orders
(`PanelOrder`, `read_input`, `parse_input`), planning (`plan`, `replan`, `Plan`), what a plan says
(`order_results`, `centre_loads`, `plan_json`, `why_late`), capable-to-promise (`promise`,
`NewWork`, `Promise`, and `PlanPromiser` for the quote), textbook instances (`read_jobshop`,
`read_fjsp`, `solve_shop`) and the independent checker (`violations`). Gantt charts are in
`flyfab.planning.gantt` (plotting libraries are imported only there).
"""

from flyfab.planning.explain import why_late
from flyfab.planning.factory import Factory, FactoryError, load_factory
from flyfab.planning.instances import InstanceError, read_fjsp, read_jobshop
from flyfab.planning.orders import InputError, OrderIssue, PanelOrder, parse_input, read_input
from flyfab.planning.problem import Problem, Schedule, Slot
from flyfab.planning.promise import NewWork, PlanPromiser, Promise, promise
from flyfab.planning.report import centre_loads, order_results, plan_json
from flyfab.planning.scheduler import Plan, plan, replan
from flyfab.planning.shop import solve_shop
from flyfab.planning.validate import violations

__all__ = [
    "Factory",
    "FactoryError",
    "InputError",
    "InstanceError",
    "NewWork",
    "OrderIssue",
    "PanelOrder",
    "Plan",
    "PlanPromiser",
    "Problem",
    "Promise",
    "Schedule",
    "Slot",
    "centre_loads",
    "load_factory",
    "order_results",
    "parse_input",
    "plan",
    "plan_json",
    "promise",
    "read_fjsp",
    "read_input",
    "read_jobshop",
    "replan",
    "solve_shop",
    "violations",
    "why_late",
]
