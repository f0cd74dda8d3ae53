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
        // every time. A thread's arena grows in heaps of 64 MiB, and a block that needs a heap of its own is unmapped
        // with that heap when freed: it is kept only where the arena's heap has room for it. A new thread takes a free
        // arena (one an ended thread left, with whatever earlier tests left in it), a new one, or past glibc's limit a
        // shared one, the main arena among them. So each probe thread stays alive while the next one starts, and cannot
        // hand its arena on, until one of them finds room; untuned, none would.
        const int bytes = 48 << 20;
        long first = 0, again = 0;
        Exception? failure = null;
        bool Kept() => first >= 10 && again * 10 < first;
        using var done = new ManualResetEventSlim();
        var probes = new List<Thread>();
        try
        {
            for (int i = 0; i < 64 && failure is null && (probes.Count == 0 || !Kept()); i++)
            {
                using var measured = new ManualResetEventSlim();
                var thread = new Thread(() =>
                {
                    try
                    {
                        first = FaultsToFill(bytes);
                        again = FaultsToFill(bytes);
                    }
                    catch (Exception e) { failure = e; }
                    finally { measured.Set(); }
                    done.Wait();
                });
                thread.Start();
                probes.Add(thread);
                measured.Wait();
            }
        }
        finally
        {
            done.Set();
            probes.ForEach(t => t.Join());
        }
        Assert.Null(failure);
        // Relative, so that transparent huge pages (one fault per 2 MiB) pass too.
        Assert.True(first >= 10, $"the first fill took {first} faults for {bytes / Page} pages: the probe does not see faults");
        Assert.True(again * 10 < first, $"the second fill took {again} page faults, the first {first}");
    }
}
