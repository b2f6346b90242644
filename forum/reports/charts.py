"""Charts drawn on the server as SVG: bars for shares of people, a line for activity by
month. Each is an image with a title and a description for screen readers (the page
shows the table of its numbers beside it), needs no script, mirrors for right-to-left
pages and prints as drawn."""

from markupsafe import Markup

WIDTH = 480
BAR_ROW = 44
LINE_HEIGHT = 160


def _frame(
    chart_id: str, title: str, desc: str, height: int, body: list[Markup], rtl: bool
) -> Markup:
    """The image around the drawing. Its direction is the page's: text anchored at its
    start grows leftwards on right-to-left pages."""
    return Markup(
        '<svg class="chart" id="{id}" role="img" viewBox="0 0 {width} {height}" '
        'width="{width}" height="{height}" direction="{direction}" '
        'aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
    ).format(
        id=chart_id, width=WIDTH, height=height, direction="rtl" if rtl else "ltr",
        title=title, desc=desc, body=Markup("").join(body),
    )  # fmt: skip


def bar_chart(
    rows: list[tuple[str, int]], *, chart_id: str, title: str, desc: str, rtl: bool = False
) -> Markup:
    """One bar a row, its label above it and its number after it; right-to-left pages
    draw the bars from the right edge."""
    largest = max((count for _label, count in rows), default=0) or 1
    room = WIDTH - 60
    body = []
    for index, (label, count) in enumerate(rows):
        top = index * BAR_ROW
        length = max(round(room * count / largest), 1 if count else 0)
        x = WIDTH - length if rtl else 0
        value_x = WIDTH - length - 6 if rtl else length + 6
        body.append(
            Markup(
                '<text class="label" x="{label_x}" y="{label_y}">{label}</text>'
                '<rect class="bar" x="{x}" y="{bar_y}" width="{length}" height="16"/>'
                '<text class="value" x="{value_x}" y="{value_y}">{count}</text>'
            ).format(
                label_x=WIDTH if rtl else 0, label_y=top + 14, label=label,
                x=x, bar_y=top + 20, length=length, value_x=value_x, value_y=top + 33, count=count,
            )
        )  # fmt: skip
    return _frame(chart_id, title, desc, max(len(rows), 1) * BAR_ROW, body, rtl)


def line_chart(
    points: list[tuple[str, int]], *, chart_id: str, title: str, desc: str, rtl: bool = False
) -> Markup:
    """Counts month by month, the first and last months named under the line; time runs
    in the page's direction of reading."""
    largest = max((count for _label, count in points), default=0) or 1
    top, bottom, side = 16, LINE_HEIGHT - 28, 12
    step = (WIDTH - 2 * side) / max(len(points) - 1, 1)

    def x_of(index: int) -> float:
        x = side + index * step if len(points) > 1 else WIDTH / 2
        return round(WIDTH - x if rtl else x, 1)

    def y_of(count: int) -> float:
        return round(bottom - (bottom - top) * count / largest, 1)

    coordinates = " ".join(f"{x_of(i)},{y_of(count)}" for i, (_l, count) in enumerate(points))
    body = [
        Markup('<line class="axis" x1="{a}" y1="{y}" x2="{b}" y2="{y}"/>').format(
            a=side, b=WIDTH - side, y=bottom
        ),
        Markup('<polyline class="line" points="{points}"/>').format(points=coordinates),
        *(
            Markup('<circle class="point" cx="{x}" cy="{y}" r="3"/>').format(
                x=x_of(i), y=y_of(count)
            )
            for i, (_l, count) in enumerate(points)
        ),
    ]
    label = Markup('<text class="label" x="{x}" y="{y}" text-anchor="{anchor}">{text}</text>')
    if points:
        body.append(
            label.format(x=WIDTH - side if rtl else side, y=LINE_HEIGHT - 8,
                         anchor="start", text=points[0][0])
        )  # fmt: skip
        if len(points) > 1:
            body.append(
                label.format(x=side if rtl else WIDTH - side, y=LINE_HEIGHT - 8,
                             anchor="end", text=points[-1][0])
            )  # fmt: skip
    return _frame(chart_id, title, desc, LINE_HEIGHT, body, rtl)
