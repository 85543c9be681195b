// sim/report/report_assets.h — the report page's parts, compiled in from sim/report/page/ and
// Debian's libjs-chart.js (CMakeLists.txt, tools/embed-text.cmake), so report.html needs no file
// at run time and opens offline.
#pragma once
#include <string_view>

namespace espfleet::report_assets {

extern const std::string_view kPage;     // page/report.html: the frame, with the slots below
extern const std::string_view kStyle;    // page/report.css
extern const std::string_view kScript;   // page/report.js: the page's own drawing and table
extern const std::string_view kChartJs;  // /usr/share/javascript/chart.js/chart.min.js (Chart.js 3.9)

}  // namespace espfleet::report_assets
