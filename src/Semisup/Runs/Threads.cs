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

    /// <summary>More threads than cores only makes them wait for each other.</summary>
    public static string? Warning(int threads) => threads > Environment.ProcessorCount
        ? $"warning: {threads} threads on {Environment.ProcessorCount} cores; the extra threads only wait for each other." : null;
}
