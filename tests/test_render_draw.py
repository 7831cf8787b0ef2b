"""``envs/core/draw.py``: the numpy primitives every frame is drawn with."""

from __future__ import annotations

import numpy as np
from netgym.envs.core import draw


def test_text_is_drawn_from_the_bitmap_font_and_clipped_at_the_edges():
    frame = draw.canvas(20, 60, draw.WHITE)
    end = draw.text(frame, 2, 2, "Hi 1", draw.BLACK)
    assert end == 2 + draw.text_width("Hi 1") == 2 + 4 * draw.ADVANCE - 1
    inked = (frame == 0).all(axis=-1)
    assert inked[2:10, 2:end].any() and not inked[:, end:].any() and not inked[:2].any()
    draw.text(frame, 50, 15, "off the frame", draw.BLACK)  # no error, clipped
    draw.text(frame, -30, -5, "also off", draw.BLACK)
    assert frame.shape == (20, 60, 3)


def test_different_strings_draw_different_masks_and_unknown_characters_a_question_mark():
    assert not np.array_equal(draw.text_mask("0"), draw.text_mask("8"))
    assert np.array_equal(draw.text_mask("\u00e9"), draw.text_mask("?"))
    assert draw.text_mask("ab", 2).shape == (16, 2 * (2 * draw.ADVANCE - 1))


def test_right_and_centre_alignment_end_where_asked():
    frame = draw.canvas(12, 80, draw.WHITE)
    assert draw.text(frame, 70, 2, "abc", align="right") == 70
    start = 40 - draw.text_width("abc") // 2
    assert draw.text(frame, 40, 2, "abc", align="center") == start + draw.text_width("abc")


def test_fill_box_and_polyline_paint_the_pixels_they_name():
    frame = draw.canvas(30, 30, draw.WHITE)
    draw.fill(frame, 2, 3, 5, 4, draw.BLACK)
    assert (frame[3:5, 2:6] == 0).all() and (frame[2, 2:6] == 255).all()
    draw.box(frame, 10, 10, 20, 20, draw.BLACK)
    assert (frame[10, 10:21] == 0).all() and (frame[15, 15] == 255).all()
    frame = draw.canvas(30, 30, draw.WHITE)
    draw.polyline(frame, [0, 29], [0, 29], draw.BLACK)
    assert all((frame[i, i] == 0).all() for i in range(30))


def test_nice_ticks_are_round_numbers_inside_the_range():
    assert draw.nice_ticks(0, 10, 5).tolist() == [0, 2, 4, 6, 8, 10]
    assert draw.nice_ticks(0, 4.3, 4).tolist() == [0, 2, 4]  # at most 4 intervals
    assert draw.nice_ticks(0, 250, 4).tolist() == [0, 100, 200]
    assert draw.nice_ceiling(4.95) == 5.0 and draw.nice_ceiling(221) == 250.0
    assert draw.tick_label(2.5) == "2.5" and draw.tick_label(20000) == "20k"


def test_colormap_runs_from_red_to_green_and_clips():
    low, high = draw.colormap([0.0, 1.0])
    assert low[0] > low[1] and high[1] > high[0]
    assert np.array_equal(draw.colormap(-3.0), draw.colormap(0.0))


def test_axes_map_data_to_pixels_with_up_as_larger():
    axes = draw.Axes((10, 20, 110, 70), (0, 100), (0, 50))
    assert axes.px(0) == 10 and axes.px(100) == 110 and axes.px(500) == 110
    assert axes.py(0) == 70 and axes.py(50) == 20
    frame = draw.canvas(100, 140)
    axes.draw(frame, x_title="time (s)", y_title="Mbps")
    assert (frame[45, 50] == 255).all()  # the plot area is white
