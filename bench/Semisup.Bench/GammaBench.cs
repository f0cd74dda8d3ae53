// Times the lab's Γ training step (augment 50 labeled, noisy pass over 100, clean pass over 50, backward, Adam)
// and evaluation throughput, on random images (speed does not depend on content). bench/gamma_step.py does the
// identical work in PyTorch; bench/run.sh runs both and prints the ratio.
using System.Diagnostics;
using System.Globalization;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

static class GammaBench
{
    public static void Run(int threads, int steps)
    {
        using var model = new ConvNet(new ConvNetConfig());
        var adam = optim.Adam(model.parameters(), 1e-3);
        var gamma = new Gamma();
        var augment = new Augment();
        using var labeled = rand(3000, 1, 28, 28);
        using var labels = randint(0, 10, [3000]);
        using var unlabeled = rand(47000, 1, 28, 28);

        void Step()
        {
            using var scope = NewDisposeScope();
            var li = randint(0, 3000, [50]);
            var ui = randint(0, 47000, [50]);
            var loss = gamma.Loss(model, augment.Apply(labeled.index_select(0, li)), labels.index_select(0, li), unlabeled.index_select(0, ui), new Progress(1, 0, 1));
            adam.zero_grad();
            loss.Total.backward();
            adam.step();
            loss.Total.item<float>();
        }

        model.train();
        for (int i = 0; i < 20; i++) Step();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        double stepSeconds = clock.Elapsed.TotalSeconds / steps;

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

        using var evalImages = rand(10000, 1, 28, 28);
        using var evalSet = new ImageSet(evalImages.clone(), randint(0, 10, [10000]));
        Semisup.Training.Evaluator.Evaluate(model, evalSet, 1000);
        clock.Restart();
        const int evalRounds = 3;
        for (int i = 0; i < evalRounds; i++) Semisup.Training.Evaluator.Evaluate(model, evalSet, 1000);
        double evalImagesPerSecond = evalRounds * 10000 / clock.Elapsed.TotalSeconds;

        foreach (var (name, ms) in phaseNames.Zip(phases))
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-22} {ms / steps,7:F2} ms  {100 * ms / phases.Sum(),5:F1}%"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"semisup bench=gamma threads={threads} step_ms={1000 * stepSeconds:F2} steps_per_s={1 / stepSeconds:F2} train_images_per_s={150 / stepSeconds:F0} eval_images_per_s={evalImagesPerSecond:F0}"));
    }
}
