"""The `calculator` tool: arithmetic on a parsed expression tree, never `eval`.

Python's `ast` parses the text (parsing runs no code); the walk below accepts a short list of
node types — numbers, + - * / // % ** and unary signs, a few math functions and constants —
and refuses everything else. Input length, exponent size and integer size are bounded so
one request cannot tie up a worker."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from parley.application.ports.tools import ToolContext
from parley.domain.tools import Tool, ToolKind, ToolResult

MAX_EXPRESSION_LENGTH = 500
MAX_EXPONENT = 10_000
MAX_INT_BITS = 4096
MAX_DEPTH = 50

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitXor: operator.pow,  # people write 2^10 for a power
}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "exp": math.exp,
    "log": math.log,
    "ln": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "min": min,
    "max": max,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


class CalculationError(ValueError):
    """The expression is not one the calculator accepts, or has no finite value."""


def calculate(expression: str) -> Number:
    """The value of `expression`. Raises `CalculationError`."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CalculationError(f"The expression is longer than {MAX_EXPRESSION_LENGTH} characters.")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise CalculationError("The expression cannot be parsed.") from error
    try:
        value = _value(tree.body, 0)
    except (ArithmeticError, ValueError, TypeError) as error:
        if isinstance(error, CalculationError):
            raise
        raise CalculationError(f"The expression has no value: {error}.") from error
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError("The result is not a finite number.")
    return value


def _value(node: ast.expr, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise CalculationError("The expression is nested too deeply.")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise CalculationError("Only numbers are allowed.")
        return _bounded(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _value(node.operand, depth + 1)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _value(node.left, depth + 1)
        right = _value(node.right, depth + 1)
        if isinstance(node.op, ast.Pow | ast.BitXor) and abs(right) > MAX_EXPONENT:
            raise CalculationError(f"Exponents are limited to ±{MAX_EXPONENT}.")
        if (
            isinstance(node.op, ast.Pow | ast.BitXor)
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and left not in {0, 1, -1}
            and abs(left).bit_length() * right > (MAX_INT_BITS)
        ):
            raise CalculationError("The result is too large.")
        return _bounded(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and 1 <= len(node.args) <= 5
    ):
        arguments = [_value(argument, depth + 1) for argument in node.args]
        return _bounded(_FUNCTIONS[node.func.id](*arguments))
    raise CalculationError(
        "Only numbers, + - * / // % ** ( ), the functions "
        f"{', '.join(sorted(_FUNCTIONS))} and the constants pi, e, tau are allowed."
    )


def _bounded(value: Any) -> Number:
    if isinstance(value, complex):
        raise CalculationError("The result is not a real number.")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise CalculationError("The result is too large.")
    if not isinstance(value, int | float):
        raise CalculationError("Only numbers are allowed.")
    return value


def format_number(value: Number) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


class CalculatorTool:
    spec = Tool(
        name="calculator",
        description=(
            "Evaluate an arithmetic expression exactly: numbers, + - * / // % ** and "
            "parentheses, sqrt, sin, cos, tan, log, exp, abs, round, floor, ceil, min, max, "
            "and the constants pi and e."
        ),
        parameters={
            "type": "object",
            "properties": {
                "expression": {
                    "type": "string",
                    "description": "The expression, e.g. (2 + 3) * sqrt(16)",
                    "maxLength": MAX_EXPRESSION_LENGTH,
                }
            },
            "required": ["expression"],
            "additionalProperties": False,
        },
        kind=ToolKind.BUILTIN,
    )

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolResult:
        try:
            return ToolResult(format_number(calculate(str(arguments["expression"]))))
        except CalculationError as error:
            return ToolResult(str(error), is_error=True)
