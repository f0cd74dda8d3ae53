// The cost of the hand-derived activations (Nn/HandActivations.cs) against libtorch's built-ins: forward and
// backward of each on a tensor the size of the first conv layer's output for a batch of 100 (100×32×24×24), and a
// whole Γ training step of the conv net with each.
using System.Globalization;
using Semisup.Models;
using Semisup.Nn;
using static TorchSharp.torch;

static class ActivationBench
{
    public static void Run(int threads, int steps)
    {
        using var input = randn(100, 32, 24, 24);
        foreach (var name in Activations.Names)
        {
            double Time(bool hand)
            {
                var f = Activations.Get(name, hand, name == "softmax" ? 1.0 : 0.1);
                void Once()
                {
                    using var scope = NewDisposeScope();
                    var x = input.detach().requires_grad_();
                    (name == "softmax" ? f(x.flatten(1)) : f(x)).sum().backward();
                }
                return 1000 * Timing.SecondsPerCall(Once, 5, steps);
            }
            double builtIn = Time(false), hand = Time(true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"semisup bench=activation name={name} threads={threads} builtin_ms={builtIn:F3} hand_ms={hand:F3} hand_over_builtin={hand / builtIn:F2}"));
        }

        // A whole Γ step, interleaved and the faster of two rounds each, so neither side gets a colder or busier machine.
        double StepMs(bool hand)
        {
            manual_seed(0);
            using var setup = new GammaBench.Setup(new ConvNetConfig(HandDerived: hand));
            return 1000 * Timing.SecondsPerCall(setup.Step, 10, steps);
        }
        double b = double.MaxValue, h = double.MaxValue;
        for (int round = 0; round < 2; round++) { b = Math.Min(b, StepMs(false)); h = Math.Min(h, StepMs(true)); }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"semisup bench=gamma-step-activations threads={threads} builtin_step_ms={b:F2} hand_step_ms={h:F2} hand_over_builtin={h / b:F2}"));
    }
}
