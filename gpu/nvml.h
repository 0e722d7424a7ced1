// GPU temperature through NVML, opened with dlopen at run time: NVML ships with the driver, not the
// toolkit, so the library neither links it nor needs its header.
#pragma once

namespace piramid::gpu {

// The temperature in degrees Celsius of the GPU at this PCI bus id ("0000:65:00.0"), or -1 when NVML is
// missing or cannot tell.
int gpu_temperature(const char* pci_bus_id) noexcept;

}  // namespace piramid::gpu
