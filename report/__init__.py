"""Report facade: everything a results page or an export shows about a wave, computed and suppressed.

Pages and exports call `build_wave_report` (one wave, with trends) and `build_history` (a figure over
all waves); both read aggregates from data/, compute with analysis/ and pass every table through
`analysis.anonymity.suppress_small_cells` before returning it.
"""

from report.wave import WaveReport, build_history, build_wave_report, wave_comments

__all__ = ["WaveReport", "build_history", "build_wave_report", "wave_comments"]
