// sim/config/threshold_value.cpp — [thresholds] entries (threshold_value.h).
#include "threshold_value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "toml_values.h"

namespace espfleet::scenario_detail {

namespace {

struct OpName {
  const char* text;
  Threshold::Op op;
};
// Longest first: "<=" before "<".
constexpr OpName kOps[] = {{"<=", Threshold::Op::le}, {">=", Threshold::Op::ge}, {"==", Threshold::Op::eq},
                           {"!=", Threshold::Op::ne}, {"<", Threshold::Op::lt},  {">", Threshold::Op::gt},
                           {"=", Threshold::Op::eq}};

std::string number_text(double v) {
  char buf[32];
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string format_threshold_condition(const Threshold& t) {
  const char* op = "==";
  for (const OpName& o : kOps)
    if (o.op == t.op) {
      op = o.text;
      break;
    }
  return std::string(op) + " " + number_text(t.value);
}

Threshold read_threshold(const std::string& figure, const toml::node& n) {
  Threshold t;
  t.figure = figure;
  if (const auto* i = n.as_integer()) {
    t.value = double(i->get());
  } else if (const auto* f = n.as_floating_point()) {
    t.value = f->get();
  } else if (const auto* s = n.as_string()) {
    std::string text = s->get();
    size_t at = text.find_first_not_of(" \t");
    bool found = false;
    for (const OpName& o : kOps)
      if (at != std::string::npos && text.compare(at, std::strlen(o.text), o.text) == 0) {
        t.op = o.op;
        at += std::strlen(o.text);
        found = true;
        break;
      }
    if (!found) bad("expected a number, or \"OP NUMBER\" with OP one of < <= > >= == != (e.g. \"< 2000\")");
    const std::string rest = text.substr(at);
    char* end = nullptr;
    t.value = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str() || rest.find_first_not_of(" \t", size_t(end - rest.c_str())) != std::string::npos ||
        !std::isfinite(t.value))
      bad("'" + rest + "' after '" + text.substr(0, text.size() - rest.size()) + "' is not a number");
  } else {
    bad("expected a number, or \"OP NUMBER\" with OP one of < <= > >= == != (e.g. \"< 2000\")");
  }
  t.text = figure + " " + format_threshold_condition(t);
  return t;
}

}  // namespace espfleet::scenario_detail
