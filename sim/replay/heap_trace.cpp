// sim/replay/heap_trace.cpp — heap events → `espfleet heap` trace lines (heap_trace.h).
#include "heap_trace.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace espfleet {

HeapTraceWriter::HeapTraceWriter(const std::string& path, uint32_t device, Chip chip, uint32_t heap_bytes)
    : out_(path) {
  if (!out_) throw std::runtime_error(path + ": cannot write the heap trace");
  out_ << "# espfleet replay --trace-heap: device " << device << ", heap " << heap_bytes << " bytes (espfleet heap "
       << (chip == Chip::esp8266 ? "" : "--chip " + std::string(enum_name(kChipNames, chip)) + " ") << "--heap-bytes "
       << heap_bytes << " FILE)\n";
}

void HeapTraceWriter::on_heap_event(const HeapEvent& e) {
  if (e.kind == HeapEvent::Kind::boot) {
    ids_.clear();
    out_ << "# boot " << ++boots_ << ": a fresh heap (replay the trace from here on a new heap)\n";
    return;
  }
  const ChipHeap::Op& op = e.op;
  if (op.op == 0) return;  // a free of NULL or of no chunk: the model took nothing
  std::string id;
  if (op.op == 'm' || (op.op == 'r' && !ids_.count(op.from))) {
    id = std::string(op.to ? heap_tag_name(e.tag) : "failed") + "." + std::to_string(++counter_);
  } else {
    id = ids_[op.from];
    ids_.erase(op.from);
  }
  if (op.to) ids_[op.to] = id;
  char t[32];
  std::snprintf(t, sizeof t, "%.6f", e.at.seconds());
  if (op.op == 'm' || (op.op == 'r' && op.from == 0))
    out_ << "malloc " << id << " " << op.charge;
  else if (op.op == 'f')
    out_ << "free " << id;
  else
    out_ << "realloc " << id << " " << op.charge;
  std::string site;
  if (e.site.file) {
    std::string name = std::filesystem::path(e.site.file).filename();
    site = e.site.line > 0 ? name + ":" + std::to_string(e.site.line) : name;
  }
  out_ << "  # t=" << t << (site.empty() ? "" : " " + site) << (op.op != 'f' && !op.to ? " FAILED" : "") << "\n";
}

}  // namespace espfleet
