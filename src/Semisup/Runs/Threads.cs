using Semisup.Recipes;
using Semisup.Training;
namespace Semisup.Runs;

/// <summary>libtorch's intra-op thread count for commands that evaluate (training sets its recipe's).</summary>
public static class Threads
{
    public static void Use(int? threads)
    {
        if (threads is < 1) throw new SemisupException($"--threads {threads}: give at least 1.");
        if (threads is int n) TorchSharp.torch.set_num_threads(n);
    }

    /// <summary>The cores idle now: one other busy process slows a 2-thread run about 3×, where 1 thread is faster.
    /// Read from /proc/stat over a quarter second; every core where there is no /proc/stat.</summary>
    public static int IdleCores()
    {
        const string stat = "/proc/stat";
        int cores = Environment.ProcessorCount;
        if (!File.Exists(stat)) return cores;
        var before = File.ReadAllText(stat);
        Thread.Sleep(250);
        return IdleCores(before, File.ReadAllText(stat), cores);
    }

    /// <summary>The idle share of the CPU time between two readings of /proc/stat's first line (idle and iowait over
    /// user, nice, system, idle, iowait, irq, softirq, steal), as whole cores, at least 1.</summary>
    public static int IdleCores(string statBefore, string statAfter, int cores)
    {
        static (long Idle, long Total) Read(string stat)
        {
            var f = stat.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
            return (f[3] + f[4], f.Sum());
        }
        var ((idle0, total0), (idle1, total1)) = (Read(statBefore), Read(statAfter));
        if (total1 <= total0) return cores;
        return Math.Clamp((int)Math.Round((double)(idle1 - idle0) / (total1 - total0) * cores), 1, cores);
    }

    /// <summary>More threads than cores only makes them wait for each other.</summary>
    public static string? Warning(int threads) => threads > Environment.ProcessorCount
        ? $"warning: {threads} threads on {Environment.ProcessorCount} cores; the extra threads only wait for each other." : null;
}
