#!/usr/bin/python3
"""report.py: the interval of the median and the goals table built from raw results;
pool.py: the rounds of several results files put together."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pool  # noqa: E402
import report  # noqa: E402


class MedianInterval(unittest.TestCase):
    def test_too_few_rounds_give_no_interval(self):
        self.assertIsNone(report.median_interval([]))
        self.assertIsNone(report.median_interval([0.9]))

    def test_three_rounds_give_the_whole_range_and_say_it_is_only_75_percent(self):
        self.assertEqual(report.median_interval([1.0, 0.8, 0.9]), (0.8, 1.0, 0.75))

    def test_seven_rounds_need_the_whole_range_for_90_percent(self):
        # Second smallest to second largest would hold the median only 87.5 % of the time.
        low, high, coverage = report.median_interval([5, 1, 4, 2, 7, 3, 6])
        self.assertEqual((low, high), (1, 7))
        self.assertAlmostEqual(coverage, 1 - 2 / 128)

    def test_nine_rounds_drop_the_extremes(self):
        low, high, coverage = report.median_interval([9, 1, 8, 2, 7, 3, 6, 4, 5])
        self.assertEqual((low, high), (2, 8))
        self.assertAlmostEqual(coverage, 1 - 2 * (1 + 9) / 512)


class Verdict(unittest.TestCase):
    def at_least(self, r):
        return r >= 0.95

    def test_interval_on_one_side_is_a_plain_verdict(self):
        self.assertEqual(report.verdict(0.97, (0.96, 0.99, 0.9), self.at_least), "met")
        self.assertEqual(report.verdict(0.90, (0.88, 0.93, 0.9), self.at_least), "**not met**")

    def test_interval_across_the_target_says_the_run_cannot_tell(self):
        self.assertEqual(report.verdict(0.96, (0.90, 1.01, 0.9), self.at_least), "met, within the noise")
        self.assertEqual(report.verdict(0.94, (0.90, 1.01, 0.9), self.at_least),
                         "**not met**, within the noise")


class Table(unittest.TestCase):
    """The whole report from a results file as bench.sh writes it."""

    def render(self, rows, meta):
        with tempfile.TemporaryDirectory() as d:
            results, meta_file = os.path.join(d, "results.tsv"), os.path.join(d, "meta.tsv")
            with open(results, "w") as f:
                f.writelines(f"{s}\t{c}\t{r}\t{v}\n" for s, c, r, v in rows)
            with open(meta_file, "w") as f:
                f.writelines(f"{k}\t{v}\n" for k, v in meta.items())
            return subprocess.run([sys.executable, report.__file__, results, meta_file],
                                  check=True, capture_output=True, text=True).stdout

    def goal_line(self, table, name):
        lines = [line for line in table.splitlines() if line.startswith(f"| {name}")]
        self.assertEqual(len(lines), 1, table)
        return lines[0]

    def test_ratio_goal_shows_median_interval_and_verdict(self):
        # Per-round (c)/(a): 0.90, 1.00, 0.96 -> median 0.96, interval 0.90 to 1.00 (75 %, n = 3).
        rows = []
        for run, (a, c) in enumerate([(100, 90), (100, 100), (50, 48)]):
            rows += [("stow1", "a", run, a), ("stow1", "b", run, 10), ("stow1", "c", run, c)]
        table = self.render(rows, {"date": "test", "stow_http_b": "413", "stow_http_c": "200"})
        line = self.goal_line(table, "proxy cost: STOW 1 client (c)/(a)")
        self.assertIn("| 0.960 | 0.900 to 1.000 (75%, n = 3) | met, within the noise |", line)
        self.assertIn("| (c) HTTP 200, (b) HTTP 413 | – | met |",
                      self.goal_line(table, "STOW body > 1 MB"))
        self.assertIn("| not measured |", self.goal_line(table, "proxy cost: STOW 4 clients"))

    def test_failed_rounds_are_left_out_of_the_ratio(self):
        rows = [("ohif", "b", 0, 1000), ("ohif", "c", 0, 600),
                ("ohif", "b", 1, 1000), ("ohif", "c", 1, "NA"),
                ("ohif", "b", 2, 1000), ("ohif", "c", 2, 650)]
        table = self.render(rows, {"date": "test"})
        line = self.goal_line(table, "OHIF first image (c)/(b), loopback")
        self.assertIn("| 0.625 | 0.600 to 0.650 (50%, n = 2) | met |", line)

    def test_qido_difference_is_shown_in_ms(self):
        rows = []
        for run, (a, c) in enumerate([(2.0, 2.5), (2.0, 3.5), (2.2, 2.6)]):
            rows += [("qido_p50", "a", run, a), ("qido_p50", "c", run, c)]
        line = self.goal_line(self.render(rows, {"date": "test"}), "proxy cost: QIDO p50 added")
        self.assertIn("| +0.50 ms | +0.40 ms to +1.50 ms (75%, n = 3) | met, within the noise |", line)


class Pool(unittest.TestCase):
    """pool.py reads the "Every run" list that report.py writes."""

    def test_rounds_of_several_files_are_pooled_per_scenario(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i, line in enumerate([
                    "- wado_warm (MB/s): 100 100 NA \\| 70 70 70 \\| 90 96 50",
                    "- wado_warm (MB/s): 100 200 \\| 70 70 \\| 99 200",
                    "- ohif (ms):  \\| 7000 \\| 6000"]):
                paths.append(os.path.join(d, f"run{i}.md"))
                with open(paths[-1], "w") as f:
                    f.write(f"# a run\n\n{line}\n")
            self.assertEqual(pool.rounds_of(paths[0])["wado_warm"], [(100, 90), (100, 96), (None, 50)])
            out = subprocess.run([sys.executable, pool.__file__, *paths],
                                 check=True, capture_output=True, text=True).stdout
        # (c)/(a) of the rounds where both ran: 0.90, 0.96, 0.99, 1.00 -> median 0.975.
        self.assertIn("| WADO series warm | 4 | 0.975 | 0.900 to 1.000 (88%) | met, within the noise |", out)
        self.assertIn("| STOW 1 client | 0 | – | – | not measured |", out)


if __name__ == "__main__":
    unittest.main()
