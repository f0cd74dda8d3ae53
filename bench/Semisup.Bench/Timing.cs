using System.Diagnostics;

static class Timing
{
    /// <summary>Seconds per call of <paramref name="once"/>, after <paramref name="warmup"/> untimed calls.</summary>
    public static double SecondsPerCall(Action once, int warmup, int calls)
    {
        for (int i = 0; i < warmup; i++) once();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++) once();
        return clock.Elapsed.TotalSeconds / calls;
    }
}
