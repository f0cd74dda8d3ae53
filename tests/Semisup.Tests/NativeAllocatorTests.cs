using System.Globalization;
using System.Runtime.InteropServices;

namespace Semisup.Tests;

public class NativeAllocatorTests
{
    const int Page = 4096;

    /// <summary>This thread's minor page faults so far: minflt, the 10th field of /proc/thread-self/stat (the 8th after
    /// the command name's closing parenthesis).</summary>
    static long MinorFaults() =>
        long.Parse(File.ReadAllText("/proc/thread-self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7], CultureInfo.InvariantCulture);

    /// <summary>Page faults taken to malloc a block, write one byte in each of its pages and free it.</summary>
    static long FaultsToFill(int bytes)
    {
        long before = MinorFaults();
        var block = Marshal.AllocHGlobal(bytes);
        try
        {
            for (int offset = 0; offset < bytes; offset += Page) Marshal.WriteByte(block, offset, 1);
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
        return MinorFaults() - before;
    }

    [Fact]
    public void A_freed_large_block_is_reused_without_faulting_its_pages_in_again()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(NativeAllocator.KeepFreedMemory());
            return;
        }
        Assert.True(NativeAllocator.KeepFreedMemory());
        // Above the largest threshold glibc's own adjustment reaches (32 MiB), so untuned it maps and unmaps the block
        // every time. A new thread gets a new arena, whose first heap (64 MiB) holds the block whatever earlier tests
        // left in the arenas of the test runner's threads.
        const int bytes = 48 << 20;
        long first = 0, again = 0;
        var thread = new Thread(() =>
        {
            first = FaultsToFill(bytes);
            again = FaultsToFill(bytes);
        });
        thread.Start();
        thread.Join();
        // Relative, so that transparent huge pages (one fault per 2 MiB) pass too.
        Assert.True(first >= 10, $"the first fill took {first} faults for {bytes / Page} pages: the probe does not see faults");
        Assert.True(again * 10 < first, $"the second fill took {again} page faults, the first {first}");
    }
}
