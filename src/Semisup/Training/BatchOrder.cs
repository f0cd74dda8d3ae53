using static TorchSharp.torch;

namespace Semisup.Training;

/// <summary>Which labeled and unlabeled images each step of an epoch trains on: permutations from a generator seeded
/// by (seed, epoch), so a resumed run sees the same batches as an uninterrupted one.</summary>
/// <param name="unlabeledBatch">0 for a method that learns from labels alone: it draws no unlabeled images.</param>
public sealed class BatchOrder(ulong seed, long labeledCount, long unlabeledCount, int steps, int labeledBatch, int unlabeledBatch)
{
    /// <summary>The epoch's index orders, a batch of each per step.</summary>
    public sealed record Epoch(long[] Labeled, long[] Unlabeled, int LabeledBatch, int UnlabeledBatch)
    {
        public (long[] Labeled, long[] Unlabeled) At(int step) =>
            (Labeled[(step * LabeledBatch)..((step + 1) * LabeledBatch)], Unlabeled[(step * UnlabeledBatch)..((step + 1) * UnlabeledBatch)]);
    }

    public Epoch Of(int epoch)
    {
        using var generator = new Generator(seed * 1_000_003UL + (ulong)epoch);
        return new(Passes(labeledCount, steps * labeledBatch, generator), Passes(unlabeledCount, steps * unlabeledBatch, generator), labeledBatch, unlabeledBatch);
    }

    /// <summary><paramref name="needed"/> indices below <paramref name="count"/>, drawn in passes without replacement:
    /// whole permutations from <paramref name="generator"/>, one after another, the last cut short.</summary>
    public static long[] Passes(long count, int needed, Generator generator)
    {
        var order = new long[needed];
        for (int filled = 0; count > 0 && filled < needed;)
        {
            // Only the part used is copied: a whole pass over the unlabeled set is a large object, which only a full
            // collection would free. The whole permutation is still drawn, so the generator moves on as it always has.
            using var perm = randperm(count, generator: generator);
            int take = (int)Math.Min(count, needed - filled);
            using var used = perm.slice(0, 0, take, 1);
            used.data<long>().CopyTo(order, filled);
            filled += take;
        }
        return order;
    }
}
