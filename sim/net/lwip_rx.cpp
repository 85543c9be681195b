// sim/net/lwip_rx.cpp — backlog → pbufs on the device heap → the device's reads (lwip_rx.h).
#include "lwip_rx.h"

#include <algorithm>
#include <cstring>

#include "device_heap.h"
#include "link_faults.h"
#include "lwip_rto.h"
#include "rng.h"

namespace espfleet {

namespace {
const HeapSite kLwipSite{"lwip", 0};
}  // namespace

void RxQueue::deliver(const char* bytes, size_t n, VTime visible_at) {
  backlog_visible_at_ = visible_at;
  backlog_.append(bytes, n);
}

// Move received bytes into pbufs; what does not fit stays in the backlog.
void RxQueue::fill_pbufs(const RxLink& link) {
  DeviceHeap::NoteOnce burst(heap_);  // one moment for the heap's figures
  size_t off = 0;
  VTime visible = backlog_visible_at_;
  while (off < backlog_.size()) {
    size_t len = std::min(kMss, backlog_.size() - off);
    // lwIP drops a segment it cannot hold (the peer sends it again): not the firmware's failure.
    auto* p = static_cast<uint8_t*>(heap_.malloc(
        HeapRequest{len + kPbufOverhead, len + kPbufOverhead, HeapTag::lwip, kLwipSite, /*counts_failure=*/false}));
    if (!p) break;
    std::memcpy(p + kPbufOverhead, backlog_.data() + off, len);
    if (link.bits_per_s || link.loss > 0) {  // after the segment before it
      VTime at = ceil_us(std::max(wire_free_at_, backlog_visible_at_)) + wire_time(len, link.bits_per_s, kMss);
      for (uint8_t k = 0; k < LwipRto::kMaxRetransmits && link.loss > 0 && link.rng->unit() < link.loss; ++k)
        at = at + peer_retransmit_timeout(link.rtt, k);  // lost: the peer sends it again
      wire_free_at_ = at;
      visible = at;
    }
    rx_.push_back(Pbuf{p, uint16_t(len), uint16_t(kPbufOverhead), visible});
    held_ += len;
    off += len;
  }
  backlog_.erase(0, off);
}

void RxQueue::take_arrived(VTime now, const RxLink& link) {
  if (!backlog_.empty() && backlog_visible_at_ <= now) fill_pbufs(link);
}

bool RxQueue::next_visible(VTime* at) const {
  if (!rx_.empty()) {
    *at = rx_.front().visible_at;
    return true;
  }
  if (backlog_.empty()) return false;
  *at = backlog_visible_at_;
  return true;
}

size_t RxQueue::visible(VTime now) const {
  size_t n = 0;
  for (const Pbuf& p : rx_) {
    if (p.visible_at > now) break;
    n += p.len;
  }
  return n;
}

size_t RxQueue::read(uint8_t* buf, size_t len, VTime now) {
  size_t n = 0;
  while (n < len && !rx_.empty() && rx_.front().visible_at <= now) {
    Pbuf& p = rx_.front();
    size_t take = std::min<size_t>(len - n, p.len);
    std::memcpy(buf + n, p.data + p.off, take);
    p.off += uint16_t(take);
    p.len -= uint16_t(take);
    held_ -= take;
    n += take;
    if (p.len == 0) {
      heap_.free(p.data, kLwipSite);
      rx_.pop_front();
    }
  }
  return n;
}

int RxQueue::peek(VTime now) const {
  if (rx_.empty() || rx_.front().visible_at > now) return -1;
  return rx_.front().data[rx_.front().off];
}

void RxQueue::clear() {
  for (Pbuf& p : rx_) heap_.free(p.data, kLwipSite);
  rx_.clear();
  held_ = 0;
  backlog_.clear();
}

}  // namespace espfleet
