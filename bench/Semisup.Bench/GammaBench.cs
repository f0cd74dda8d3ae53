// Times the lab's Γ training step (augment 50 labeled, noisy pass over 100, clean pass over 50, backward, Adam)
// and evaluation throughput, and says where the time of each goes, on random images (speed does not depend on
// content). bench/gamma_step.py does the identical work in PyTorch; Semisup's evaluation folds batch norm
// (Models/ConvNet.cs), which the lab's PyTorch code does not and gamma_step.py's `folded` does. bench/run.sh runs
// both and prints the ratios.
using System.Diagnostics;
using System.Globalization;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Nn;
using Semisup.Training;
using static TorchSharp.torch;

static class GammaBench
{
    /// <summary>The Γ step on random images (speed does not depend on content): 50 augmented labeled and 50
    /// unlabeled images through the noisy path, 50 through the clean one, backward, Adam.</summary>
    public sealed class Setup : IDisposable
    {
        public readonly ConvNet Model;
        public readonly TorchSharp.Modules.OptimizerHelper Adam;
        public readonly Augment Augment = new();
        public readonly Tensor Labeled = rand(3000, 1, 28, 28), Labels = randint(0, 10, [3000]), Unlabeled = rand(47000, 1, 28, 28);
        readonly Gamma gamma = new();

        public Setup(ConvNetConfig? config = null)
        {
            Model = new ConvNet(config ?? new ConvNetConfig());
            Adam = optim.Adam(Model.parameters(), 1e-3);
            Model.train();
        }

        public void Step()
        {
            using var scope = NewDisposeScope();
            var li = randint(0, 3000, [50]);
            var ui = randint(0, 47000, [50]);
            var loss = gamma.Loss(Model, new Batch(Augment.Apply(Labeled.index_select(0, li)), Labels.index_select(0, li), Unlabeled.index_select(0, ui), new Progress(1, 0, 1), Augment));
            Adam.zero_grad();
            loss.Total.backward();
            Adam.step();
            loss.Total.item<float>();
        }

        public void Dispose() { Model.Dispose(); Labeled.Dispose(); Labels.Dispose(); Unlabeled.Dispose(); }
    }

    /// <summary>The images the benchmark evaluates: 10,000, random.</summary>
    static ImageSet EvalSet() => new(rand(10000, 1, 28, 28), randint(0, 10, [10000]));

    /// <summary>For bench/paired.py, which keeps this process and its PyTorch twin alive and has them take turns in
    /// short blocks, so that the VM's drift over minutes falls on both sides of each block's ratio. Warms up, prints
    /// "ready", then answers each line "train N" (N steps) or "eval B" (one evaluation in batches of B) with the
    /// seconds it took. "eval-folded B" is the same here (this evaluation always folds batch norm); the PyTorch twin
    /// answers it with its folded evaluation.</summary>
    public static void Serve()
    {
        using var setup = new Setup();
        using var evalSet = EvalSet();
        Timing.SecondsPerCall(setup.Step, 0, Timing.WarmupSteps);
        Evaluator.Evaluate(setup.Model, evalSet, 1000);
        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line)
        {
            var request = line.Split(' ');
            int count = int.Parse(request[1], CultureInfo.InvariantCulture);
            double seconds = request[0] switch
            {
                "train" => count * Timing.SecondsPerCall(setup.Step, 0, count),
                "eval" or "eval-folded" => Timing.SecondsPerCall(() => Evaluator.Evaluate(setup.Model, evalSet, count), 0, 1),
                _ => throw new ArgumentException($"unknown request '{line}': train N, eval B or eval-folded B"),
            };
            Console.WriteLine(seconds.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Where an evaluation batch of 1,000 goes (stderr): the operations of the folded evaluation
    /// (Models/ConvNet.cs) on the network's shapes, each timed alone, with each convolution's arithmetic rate, and the
    /// model's own forward pass timed the same way (their sum and it differ by the machine's noise, about ±10% here,
    /// more than by the fold's few small operations).</summary>
    static void EvalLayers(ConvNet model, ImageSet evalSet)
    {
        using var _ = no_grad();
        using var tensors = NewDisposeScope();
        var config = model.Config;
        var (c, k, inputs, work) = (config.ConvChannels, ConvNetConfig.Kernels, config.ConvInputs, config.ConvMultiplyAdds);
        var (h, w) = config.FeatureMap;
        var activation = Activations.Get(config.Activation, false, config.LeakySlope);
        var weights = inputs.Select((input, i) => (W: rand(c[i], input.Channels, k[i], k[i]), B: rand(c[i]))).ToArray();
        var fc = (W1: rand(config.HiddenUnits, (long)c[^1] * h * w), B1: rand(config.HiddenUnits), W2: rand(config.Classes, config.HiddenUnits), B2: rand(config.Classes));
        const int batchSize = 1000, warmup = 3, calls = 10;
        var batch = evalSet.Images.slice(0, 0, batchSize, 1);
        var times = new List<(string Name, double Ms, double MultiplyAdds)>();
        for (int call = 0; call < warmup + calls; call++)
        {
            using var scope = NewDisposeScope();
            int next = 0;
            var clock = Stopwatch.StartNew();
            Tensor Time(string name, Func<Tensor> op, double multiplyAdds = 0)
            {
                clock.Restart();
                var y = op();
                if (call == warmup) times.Add((name, 0, multiplyAdds));
                if (call >= warmup) times[next] = times[next] with { Ms = times[next].Ms + clock.Elapsed.TotalMilliseconds / calls };
                next++;
                return y;
            }
            var x = Time("input to channels-last", () => ConvNet.ChannelsLast(batch));
            for (int i = 0; i < weights.Length; i++)
            {
                var input = x;
                x = Time($"conv{i + 1}", () => nn.functional.conv2d(input, weights[i].W, weights[i].B), batchSize * work[i]);
                // The lab's poolings, after the first and third convolutions (ConvNet.Forward).
                if (i is 0 or 2) { var conv = x; x = Time($"pool{i + 1}", () => nn.functional.max_pool2d(conv, 2)); }
                var pre = x;
                x = Time($"{config.Activation}{i + 1}", () => activation(pre));
            }
            var features = x;
            Time("fc1, relu, fc2", () => nn.functional.linear(nn.functional.linear(features.flatten(1), fc.W1, fc.B1).relu(), fc.W2, fc.B2));
        }
        model.eval();
        double forwardMs = 1000 * Timing.SecondsPerCall(() => { using var scope = NewDisposeScope(); model.call(batch); }, warmup, calls);
        model.train();
        Console.Error.WriteLine($"where a Semisup evaluation batch of {batchSize:N0} goes (each operation timed alone):");
        foreach (var (name, ms, multiplyAdds) in times)
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-22} {ms,7:F2} ms  {100 * ms / times.Sum(t => t.Ms),5:F1}%{(multiplyAdds > 0 ? $"  {2 * multiplyAdds / ms / 1e6,6:F1} GFLOP/s" : "")}"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  sum {times.Sum(t => t.Ms):F2} ms; the model's forward pass {forwardMs:F2} ms"));
    }

    public static void Run(int threads, int steps)
    {
        using var setup = new Setup();
        var (model, adam, augment, labeled, labels, unlabeled) = (setup.Model, setup.Adam, setup.Augment, setup.Labeled, setup.Labels, setup.Unlabeled);
        double warmupSeconds = Timing.SecondsPerCall(setup.Step, 0, Timing.WarmupSteps);
        double stepSeconds = Timing.SecondsPerCall(setup.Step, 0, steps);

        // Where a step's time goes: the same step, phase by phase (libtorch on CPU runs each call to completion).
        var phases = new double[5];
        string[] phaseNames = ["augment", "noisy forward (100)", "clean forward (50)", "backward", "adam"];
        var phaseClock = new Stopwatch();
        void Mark(int phase) { phases[phase] += phaseClock.Elapsed.TotalMilliseconds; phaseClock.Restart(); }
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var li = randint(0, 3000, [50]);
            var ui = randint(0, 47000, [50]);
            var u = unlabeled.index_select(0, ui);
            phaseClock.Restart();
            var x = augment.Apply(labeled.index_select(0, li));
            Mark(0);
            var noisy = model.Noisy(cat([x, u], 0));
            Mark(1);
            var clean = model.call(u);
            Mark(2);
            var loss = nn.functional.cross_entropy(noisy[..50], labels.index_select(0, li)) + nn.functional.mse_loss(noisy[50..], clean);
            adam.zero_grad();
            loss.backward();
            Mark(3);
            adam.step();
            Mark(4);
        }

        // The noise of one noisy pass: Semisup's sampler beside libtorch's randn, which drew it before (the same count).
        long noiseCount = 100 * model.Config.ConvInputs.Sum(l => (long)l.Channels * l.Height * l.Width);
        double noiseSeconds = Timing.SecondsPerCall(() => { using var _ = NewDisposeScope(); GaussianNoise.Draw(noiseCount); }, 10, steps);
        double randnSeconds = Timing.SecondsPerCall(() => { using var _ = NewDisposeScope(); randn(noiseCount); }, 10, steps);

        using var evalSet = EvalSet();
        double evalImagesPerSecond = 10000 / Timing.SecondsPerCall(() => Evaluator.Evaluate(model, evalSet, 1000), 1, 5);
        // Evaluation is nearly all multiply-adds in convolutions: its arithmetic rate beside the machine's roof says how
        // much faster it could be.
        double evalGflops = evalImagesPerSecond * 2 * model.Config.MultiplyAdds / 1e9;
        double matmulGflops = Timing.MatmulGflops();

        foreach (var (name, ms) in phaseNames.Zip(phases))
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-22} {ms / steps,7:F2} ms  {100 * ms / phases.Sum(),5:F1}%"));
        EvalLayers(model, evalSet);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"semisup bench=gamma threads={threads} step_ms={1000 * stepSeconds:F2} steps_per_s={1 / stepSeconds:F2} train_images_per_s={150 / stepSeconds:F0} warmup_steps_per_s={1 / warmupSeconds:F2} eval_images_per_s={evalImagesPerSecond:F0} eval_gflops={evalGflops:F1} matmul_gflops={matmulGflops:F1} noise_ms={1000 * noiseSeconds:F3} randn_ms={1000 * randnSeconds:F3}"));
    }
}
