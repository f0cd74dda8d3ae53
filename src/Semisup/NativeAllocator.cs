using System.Runtime.InteropServices;

namespace Semisup;

/// <summary>libtorch takes every CPU tensor from malloc. glibc serves large blocks (above 128 KiB, a threshold it raises
/// on the fly to at most 32 MiB) with fresh mmap'd pages and unmaps them when freed, and gives a freed heap top back to
/// the kernel, so every batch faults its activations' pages in again: an evaluation batch of 1,000 images has a
/// 74 MB first activation. On the 2-core VM this project runs on, the kernel's share of the work halved the Γ
/// step's speed (docs/performance.md). Keeping freed blocks in the heap for reuse removes it; the price is that the heap stays at its peak size,
/// which a run reaches in its first epoch anyway. The main thread's heap can keep blocks of any size; another thread's
/// arena grows in heaps of 64 MiB, so a block larger than that is still mapped afresh there. Call
/// <see cref="KeepFreedMemory"/> once at start-up, before the tensors of the work: the programs do, a library user may.</summary>
public static class NativeAllocator
{
    // glibc's malloc.h.
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;
    const int ThresholdCap = 32 << 20; // what glibc before 2.35 accepts at most

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    /// <summary>Makes glibc keep freed blocks for reuse: of up to 1 GiB (glibc 2.35 and later; 32 MiB before). False, and
    /// nothing changed, where the C library is not glibc (macOS, Windows, musl).</summary>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // mallopt returns 1 on success.
            bool threshold = Mallopt(M_MMAP_THRESHOLD, 1 << 30) == 1 || Mallopt(M_MMAP_THRESHOLD, ThresholdCap) == 1;
            bool trim = Mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
            return threshold && trim;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
