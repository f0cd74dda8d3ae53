using System.Diagnostics;

static class Timing
{
    /// <summary>Training steps run, from a fresh model, before the timed ones. During the first steps, most in the first
    /// few dozen, .NET compiles the hot methods again, optimised, on a background thread (tiered compilation), which on
    /// 2 cores takes time from libtorch's threads; the runs this stands for are thousands of steps long. The PyTorch scripts
    /// warm up for as many steps, and both report the warm-up's speed beside the steady one.</summary>
    public const int WarmupSteps = 100;

    /// <summary>The machine's arithmetic roof as libtorch reaches it: GFLOP/s of a 2048 × 2048 single-precision matrix
    /// product (2n³ operations), a best case for dense arithmetic (convolutions run on oneDNN's own kernels).</summary>
    public static double MatmulGflops(int n = 2048)
    {
        using var a = TorchSharp.torch.rand(n, n);
        using var b = TorchSharp.torch.rand(n, n);
        return 2.0 * n * n * n / SecondsPerCall(() => a.mm(b).Dispose(), 2, 10) / 1e9;
    }

    /// <summary>Seconds per call of <paramref name="once"/>, after <paramref name="warmup"/> untimed calls.</summary>
    public static double SecondsPerCall(Action once, int warmup, int calls)
    {
        for (int i = 0; i < warmup; i++) once();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++) once();
        return clock.Elapsed.TotalSeconds / calls;
    }
}
