// Not a timing: checks whether this TorchSharp still lets the finalizer free an operator's implicit Scalar (the
// alpha = 1 inside a + b) while libtorch reads it (dotnet/TorchSharp#1434), the cause of the rare mid-run failure
// "Expected false to be true, but got false" that Trainer answers by going back to the last checkpoint. Another
// thread makes garbage, so GCs start while the main thread is inside native calls, as they rarely do in training.
using static TorchSharp.torch;

static class ScalarRaceProbe
{
    public static int Run(int threads, int steps)
    {
        using var a = randn(100, 250);
        using var b = randn(100, 250);
        bool stop = false;
        var churn = new Thread(() => { while (!Volatile.Read(ref stop)) GC.KeepAlive(new object[64]); }) { IsBackground = true };
        churn.Start();
        long adds = 0;
        try
        {
            for (int thousand = 0; thousand < steps; thousand++)
            {
                using var scope = NewDisposeScope();
                for (int k = 0; k < 1000; k++, adds++) _ = a + b;
            }
            Console.WriteLine($"semisup bench=scalar-race threads={threads} adds={adds} gen0_gcs={GC.CollectionCount(0)} failed=no");
            return 0;
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            Console.WriteLine($"semisup bench=scalar-race threads={threads} adds={adds} gen0_gcs={GC.CollectionCount(0)} failed=yes");
            Console.Error.WriteLine(e.Message.Split('\n')[0]);
            return 1;
        }
        finally { Volatile.Write(ref stop, true); }
    }
}
